#!/usr/bin/env python3
"""float32 matrix-multiply throughput of torch.mm on the CPU.

For each n, C = A @ B with n x n float32 matrices; GFLOP/s = 2 n^3 / t. Each
repeat times enough back-to-back calls to last at least `--min-time` seconds;
the best of `--repeats` repeats is reported.

The last line of stdout is one JSON object.
"""

import argparse
import json
import time

import torch

from peer_common import runtime_info, setup_threads


def time_mm(a, b, c, min_time):
    """Seconds per torch.mm call, averaged over a batch of calls."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b, out=c)
        seconds = time.perf_counter() - start
        if seconds >= min_time:
            return seconds / calls
        calls *= 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="minimum seconds per timed repeat")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    setup_threads(args.threads)
    torch.manual_seed(args.seed)

    results = []
    for n in args.sizes:
        a = torch.randn(n, n, dtype=torch.float32)
        b = torch.randn(n, n, dtype=torch.float32)
        c = torch.empty(n, n, dtype=torch.float32)
        torch.mm(a, b, out=c)  # warm-up
        flop = 2.0 * n ** 3
        rates = [flop / time_mm(a, b, c, args.min_time) / 1e9 for _ in range(args.repeats)]
        best = max(rates)
        results.append({"n": n, "gflops": best, "all_gflops": rates,
                        "ms_per_call": flop / best / 1e6})
        print("n=%d: %.1f GFLOP/s (best of %d)" % (n, best, args.repeats), flush=True)

    print(json.dumps({
        "benchmark": "gemm",
        "framework": "pytorch",
        "dtype": "float32",
        "op": "torch.mm",
        "threads": args.threads,
        "repeats": args.repeats,
        "results": results,
        "runtime": runtime_info(),
    }))


if __name__ == "__main__":
    main()
