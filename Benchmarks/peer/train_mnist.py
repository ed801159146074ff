#!/usr/bin/env python3
"""Train LeNet-5 or seednet on MNIST with PyTorch: the reference recipe that
the C# engine is compared against.

Per epoch it reports the mean training loss, the test loss and accuracy, and
the training throughput in images/s (wall time of the training loop only;
evaluation and the per-epoch shuffle are outside the timed region). The whole
data set is pre-loaded as tensors, so data loading is not measured.

The last line of stdout is one JSON object with every figure.
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F

from peer_common import build_model, count_params, load_mnist, runtime_info, setup_threads

DEFAULT_LR = {"adam": 1e-3, "adadelta": 1.0, "sgd": 0.01}
SGD_MOMENTUM = 0.9


def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=SGD_MOMENTUM)
    raise ValueError(name)


def optimizer_settings(opt):
    """The hyperparameters actually in use (lr, betas, rho, eps, momentum...)."""
    group = opt.param_groups[0]
    keep = ("lr", "betas", "eps", "rho", "momentum", "weight_decay", "nesterov", "dampening")
    return {k: group[k] for k in keep if k in group}


def evaluate(model, x, y, batch_size=1000):
    model.eval()
    total_loss = 0.0
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            logits = model(x[i:i + batch_size])
            target = y[i:i + batch_size]
            total_loss += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(dim=1) == target).sum().item()
    return total_loss / x.shape[0], correct / x.shape[0]


def train_epoch(model, opt, x, y, batch_size):
    """One pass over (x, y), already shuffled. Returns (mean loss, seconds)."""
    model.train()
    n = x.shape[0]
    loss_sum = 0.0
    start = time.perf_counter()
    for i in range(0, n, batch_size):
        xb = x[i:i + batch_size]
        yb = y[i:i + batch_size]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * xb.shape[0]
    seconds = time.perf_counter() - start
    return loss_sum / n, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=["lenet5", "seednet"], default="lenet5")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="adam")
    ap.add_argument("--lr", type=float, default=None,
                    help="learning rate (default: adam 1e-3, adadelta 1.0, sgd 0.01)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", required=True,
                    help="folder holding the four MNIST IDX files (optionally .gz)")
    ap.add_argument("--limit-train", type=int, default=None,
                    help="use only the first N training images")
    args = ap.parse_args()

    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    setup_threads(args.threads)
    torch.manual_seed(args.seed)

    x_train, y_train, x_test, y_test = load_mnist(args.data_dir)
    if args.limit_train is not None:
        x_train = x_train[:args.limit_train].contiguous()
        y_train = y_train[:args.limit_train].contiguous()

    model = build_model(args.model)
    params = count_params(model)
    opt = make_optimizer(args.optimizer, model.parameters(), lr)
    shuffle_gen = torch.Generator().manual_seed(args.seed)

    print("model=%s params=%d optimizer=%s lr=%g train=%d test=%d threads=%d"
          % (args.model, params, args.optimizer, lr, x_train.shape[0],
             x_test.shape[0], torch.get_num_threads()), flush=True)

    epochs = []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(x_train.shape[0], generator=shuffle_gen)
        xs, ys = x_train[perm], y_train[perm]
        train_loss, seconds = train_epoch(model, opt, xs, ys, args.batch_size)
        test_loss, test_acc = evaluate(model, x_test, y_test)
        record = {
            "epoch": epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "train_seconds": seconds,
            "train_images_per_s": x_train.shape[0] / seconds,
        }
        epochs.append(record)
        print("epoch %d: train_loss %.4f test_loss %.4f test_acc %.4f  %.0f img/s (%.1f s)"
              % (epoch, train_loss, test_loss, test_acc,
                 record["train_images_per_s"], seconds), flush=True)

    result = {
        "benchmark": "train_mnist",
        "framework": "pytorch",
        "model": args.model,
        "params": params,
        "optimizer": args.optimizer,
        "optimizer_settings": optimizer_settings(opt),
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "seed": args.seed,
        "threads": args.threads,
        "train_images": x_train.shape[0],
        "test_images": x_test.shape[0],
        "per_epoch": epochs,
        "final_test_accuracy": epochs[-1]["test_accuracy"] if epochs else None,
        "runtime": runtime_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
