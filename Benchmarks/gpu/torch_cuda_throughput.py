#!/usr/bin/env python3
"""Training-step throughput of a model on a CUDA GPU with PyTorch in fp32: the peer of `gpucnn bench --device cuda`.

The same step as ../peer/train_throughput.py (forward + cross-entropy + backward + Adam, random batches of the
model's input shape), on the GPU with cuDNN (autotuned) and TF32 off, so that both sides compute in plain fp32.
After `--warmup` untimed steps, `--steps` steps are timed between two device synchronisations, `--repeats`
times; the median images/s is reported. The last line of stdout is one JSON object.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peer"))
from peer_common import INPUT_SHAPES, MODELS, build_model, count_params  # noqa: E402


def run_steps(model, opt, batches, steps):
    for s in range(steps):
        xb, yb = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet18-cifar")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    torch.manual_seed(0)
    model = build_model(args.model).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.randn(args.batch_size, *INPUT_SHAPES[args.model], device=device),
                torch.randint(0, 10, (args.batch_size,), device=device)) for _ in range(8)]
    runs = []
    for _ in range(args.repeats):
        run_steps(model, opt, batches, args.warmup)
        torch.cuda.synchronize()
        start = time.perf_counter()
        run_steps(model, opt, batches, args.steps)
        torch.cuda.synchronize()
        runs.append(args.steps * args.batch_size / (time.perf_counter() - start))
    print(json.dumps({
        "benchmark": "train_throughput", "framework": "pytorch", "device": torch.cuda.get_device_name(0),
        "model": args.model, "params": count_params(model), "batch_size": args.batch_size,
        "tf32": False, "cudnn": torch.backends.cudnn.version(), "torch": torch.__version__,
        "images_per_s": statistics.median(runs), "repeats": runs,
    }))


if __name__ == "__main__":
    main()
