#!/usr/bin/env python3
"""Pure training-step throughput of LeNet-5, seednet, VGG-16 or ResNet-18 (CIFAR variants) with PyTorch.

Each step is forward + cross-entropy + backward + Adam step on random inputs
of the model's input shape (MNIST's 1x28x28 or CIFAR's 3x32x32) with random labels; the inputs are made
before timing. After `--warmup` untimed steps, `--steps` steps are timed;
this is repeated `--repeats` times and the median images/s is reported.
With `--inference` a step is one forward pass in evaluation mode under
torch.inference_mode() (no loss, gradients or optimizer): batch 1 gives the
latency, batch 64 the throughput; the JSON adds ms_per_batch and ms_per_image.

The last line of stdout is one JSON object.
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from peer_common import INPUT_SHAPES, MODELS, build_model, count_params, runtime_info, setup_threads

N_BATCHES = 8  # distinct random batches, cycled through


def run_steps(model, opt, batches, steps):
    for s in range(steps):
        xb, yb = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    return loss.item()


def run_inference(model, batches, steps):
    with torch.inference_mode():
        for s in range(steps):
            model(batches[s % len(batches)][0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="lenet5")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inference", action="store_true",
                    help="time evaluation-mode forward passes only")
    args = ap.parse_args()

    setup_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build_model(args.model)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if args.inference:
        model.eval()
        step = lambda batches, n: run_inference(model, batches, n)  # noqa: E731
    else:
        step = lambda batches, n: run_steps(model, opt, batches, n)  # noqa: E731
    batches = [(torch.randn(args.batch_size, *INPUT_SHAPES[args.model]),
                torch.randint(0, 10, (args.batch_size,)))
               for _ in range(N_BATCHES)]

    runs = []
    for r in range(args.repeats):
        step(batches, args.warmup)
        start = time.perf_counter()
        step(batches, args.steps)  # .item() at the end of training steps syncs; CPU inference is synchronous
        seconds = time.perf_counter() - start
        ips = args.steps * args.batch_size / seconds
        runs.append({"seconds": seconds, "images_per_s": ips})
        print("repeat %d: %.0f img/s (%.2f s for %d steps)"
              % (r + 1, ips, seconds, args.steps), flush=True)

    median = statistics.median(run["images_per_s"] for run in runs)
    result = {
        "benchmark": "inference" if args.inference else "train_throughput",
        "framework": "pytorch",
        "model": args.model,
        "params": count_params(model),
        "optimizer": "none" if args.inference else "adam",
        "batch_size": args.batch_size,
        "threads": args.threads,
        "steps": args.steps,
        "warmup": args.warmup,
        "repeats": runs,
        "images_per_s": median,
        "ms_per_step": 1000.0 * args.batch_size / median,
        "runtime": runtime_info(),
    }
    if args.inference:
        result["ms_per_batch"] = 1000.0 * args.batch_size / median
        result["ms_per_image"] = 1000.0 / median
    print(json.dumps(result))


if __name__ == "__main__":
    main()
