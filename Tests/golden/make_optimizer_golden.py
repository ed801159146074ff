#!/usr/bin/python3
"""Writes the PyTorch optimizer fixtures: a few steps of torch.optim on fixed tensors.

Run from the repository root with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 Tests/golden/make_optimizer_golden.py

Each case is one safetensors file under Tests/golden/optimizers/ for a Linear(5, 4) layer's two parameters,
"layer.weight" (4, 5) and "layer.bias" (4), holding:
  param.NAME           the parameter before the first step
  grad.K.NAME          the gradient given at step K (1-based): fixed random numbers, set directly on .grad
  after.K.NAME         the parameter after step K
  state.NAME.STATE     the optimizer's state after the last step, by PyTorch's names (exp_avg, square_avg ...)
and, in the metadata, "case": the optimizer's class name, its hyper-parameters as PyTorch's keyword arguments, and
the number of steps. The files are a few KB and are committed, so the tests need no PyTorch.
"""

import json
import os

import torch

from make_golden import write_safetensors

ROOT = os.path.dirname(os.path.abspath(__file__))
STEPS = 4

CASES = {
    "adam_weight_decay": ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    "adamw_defaults": ("AdamW", {"lr": 1e-3}),
    "adamw_strong_decay": ("AdamW", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.5}),
    "adadelta_weight_decay": ("Adadelta", {"lr": 1.0, "rho": 0.8, "weight_decay": 0.1}),
    "sgd_momentum_weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    "rmsprop_defaults": ("RMSprop", {"lr": 0.01}),
    "rmsprop_momentum_weight_decay": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1,
                                                  "momentum": 0.5}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.005, "alpha": 0.95, "centered": True}),
    "rmsprop_centered_momentum_weight_decay": ("RMSprop", {"lr": 0.005, "alpha": 0.8, "eps": 1e-6,
                                                           "weight_decay": 0.05, "momentum": 0.9,
                                                           "centered": True}),
}


def record(name, kind, kwargs, seed):
    g = torch.Generator().manual_seed(seed)
    layer = torch.nn.Linear(5, 4)
    params = {"layer.weight": layer.weight, "layer.bias": layer.bias}
    with torch.no_grad():
        for p in params.values():
            p.copy_(torch.rand(p.shape, generator=g) * 2 - 1)
    tensors = {"param." + n: p.detach().clone() for n, p in params.items()}
    # The single-tensor loops are the reference rules; foreach=False keeps to them.
    optimizer = getattr(torch.optim, kind)(params.values(), foreach=False, **kwargs)
    for step in range(1, STEPS + 1):
        for n, p in params.items():
            p.grad = torch.rand(p.shape, generator=g) * 2 - 1
            tensors["grad.%d.%s" % (step, n)] = p.grad.clone()
        optimizer.step()
        for n, p in params.items():
            tensors["after.%d.%s" % (step, n)] = p.detach().clone()
    for n, p in params.items():
        for key, value in optimizer.state[p].items():
            if key != "step":
                tensors["state.%s.%s" % (n, key)] = value
    case = {"optimizer": kind, "steps": STEPS}
    case.update({k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()})
    os.makedirs(os.path.join(ROOT, "optimizers"), exist_ok=True)
    write_safetensors(os.path.join(ROOT, "optimizers", name + ".safetensors"), tensors, {"case": json.dumps(case)})


if __name__ == "__main__":
    torch.set_num_threads(1)
    for i, (name, (kind, kwargs)) in enumerate(sorted(CASES.items())):
        record(name, kind, kwargs, seed=100 + i)
