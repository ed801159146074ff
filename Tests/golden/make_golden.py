#!/usr/bin/python3
"""Writes the PyTorch conformance fixtures the tests compare against.

Run from the repository root with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 Tests/golden/make_golden.py

Each case is one safetensors file under Tests/golden/layers/ or Tests/golden/models/ holding:
  input            the batch fed forward
  output           what PyTorch computed
  grad_output      the gradient fed backward (fixed random numbers)
  grad_input       the gradient PyTorch returned for the input
  param.NAME       every parameter and buffer before the step, by its state_dict name
  grad.NAME        every parameter's gradient
  state.NAME       every buffer after the forward pass (batch-norm running statistics)
and, in the metadata, "case": a JSON description of the layer or model that the C# side builds from. A layer
case's "op" names the descriptor in Tests/Ops that declares it in FixtureOps and parses the rest of the case.
The files are small (a few KB each) and are committed, so the tests need no PyTorch.
"""

import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        # Floats are written as F32; integers (a batch norm's num_batches_tracked) keep PyTorch's int64.
        dtype = "I64" if tensor.dtype == torch.int64 else "F32"
        data = tensor.detach().to(torch.int64 if dtype == "I64" else torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def randomise(module, seed):
    """Every parameter and buffer gets random values, so that nothing passes by being zero or one."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
        for name, b in module.named_buffers():
            if name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)
            elif name.endswith("running_mean"):
                b.copy_(torch.rand(b.shape, generator=g) - 0.5)


def record(folder, name, module, input_shape, case, train=True, seed=0, prefix="", randomise_params=True):
    torch.manual_seed(seed)
    if randomise_params:
        randomise(module, seed + 1)
    module.train(train)
    g = torch.Generator().manual_seed(seed + 2)
    x = (torch.rand(input_shape, generator=g) * 2 - 1).requires_grad_(True)
    before = {prefix + k: v.detach().clone() for k, v in module.state_dict().items()
              if v.dtype.is_floating_point}
    y = module(x)
    dy = torch.rand(y.shape, generator=g) * 2 - 1
    y.backward(dy)
    tensors = {"input": x, "output": y, "grad_output": dy, "grad_input": x.grad}
    for k, v in before.items():
        tensors["param." + k] = v
    for k, p in module.named_parameters():
        tensors["grad." + prefix + k] = p.grad
    for k, b in module.named_buffers():
        if b.dtype.is_floating_point:
            tensors["state." + prefix + k] = b
    case = dict(case)
    case["train"] = train
    os.makedirs(os.path.join(ROOT, folder), exist_ok=True)
    write_safetensors(os.path.join(ROOT, folder, name + ".safetensors"), tensors, {"case": json.dumps(case)})


class Pad(nn.Module):
    def __init__(self, top, left, bottom, right, mode, value=0.0):
        super().__init__()
        self.amounts = (left, right, top, bottom)
        self.mode = mode
        self.value = value

    def forward(self, x):
        if self.mode == "constant":
            return F.pad(x, self.amounts, mode="constant", value=self.value)
        return F.pad(x, self.amounts, mode=self.mode)


class Named(nn.Module):
    """Wraps one layer as the child "layer", so that its state_dict names are layer.weight and so on."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)


def conv(name, c, h, w, out, k, stride=1, padding=0, dilation=1, groups=1, bias=True, mode="zeros", batch=2):
    layer = nn.Conv2d(c, out, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias,
                      padding_mode=mode)
    pad = padding if isinstance(padding, str) else int(padding)
    record("layers", name, Named(layer), (batch, c, h, w),
           {"op": "conv2d", "out": out, "kernel": k, "stride": stride, "padding": pad, "dilation": dilation,
            "groups": groups, "bias": bias, "padding_mode": mode})


def layers():
    conv("conv_k3_s1_p1", 3, 7, 8, 4, 3, padding=1)
    conv("conv_k5_s2_p2", 2, 9, 9, 3, 5, stride=2, padding=2)
    conv("conv_k4_s2_p1_nobias", 3, 8, 7, 5, 4, stride=2, padding=1, bias=False)
    conv("conv_k3_d2_p2", 2, 9, 8, 3, 3, padding=2, dilation=2)
    conv("conv_groups2", 4, 6, 6, 6, 3, padding=1, groups=2)
    conv("conv_depthwise", 4, 6, 5, 4, 3, padding=1, groups=4)
    conv("conv_1x1", 5, 4, 4, 3, 1)
    conv("conv_k11_s4_p2", 3, 27, 27, 4, 11, stride=4, padding=2, batch=1)
    conv("conv_reflect_p1", 3, 6, 7, 4, 3, padding=1, mode="reflect")
    conv("conv_replicate_s2_p2", 2, 7, 8, 3, 5, stride=2, padding=2, mode="replicate")
    conv("conv_circular_p1", 2, 5, 6, 3, 3, padding=1, mode="circular")
    conv("conv_same_k4", 2, 6, 7, 3, 4, padding="same")

    def pool(name, module, shape, case):
        record("layers", name, Named(module), shape, case)

    pool("maxpool_k2_s2", nn.MaxPool2d(2, 2), (2, 3, 8, 9), {"op": "maxpool", "kernel": 2, "stride": 2})
    pool("maxpool_k3_s2_overlap", nn.MaxPool2d(3, 2), (2, 3, 9, 11), {"op": "maxpool", "kernel": 3, "stride": 2})
    pool("maxpool_k3_s2_ceil", nn.MaxPool2d(3, 2, ceil_mode=True), (2, 2, 10, 9),
         {"op": "maxpool", "kernel": 3, "stride": 2, "ceil": True})
    pool("maxpool_k3_s1_p1", nn.MaxPool2d(3, 1, 1), (1, 2, 6, 5), {"op": "maxpool", "kernel": 3, "stride": 1,
                                                                    "padding": 1})
    pool("avgpool_k3_s2_p1", nn.AvgPool2d(3, 2, 1), (2, 2, 7, 8), {"op": "avgpool", "kernel": 3, "stride": 2,
                                                                    "padding": 1})
    pool("avgpool_k3_s2_ceil", nn.AvgPool2d(3, 2, ceil_mode=True), (2, 2, 8, 10),
         {"op": "avgpool", "kernel": 3, "stride": 2, "ceil": True})
    pool("gap", nn.AdaptiveAvgPool2d(1), (3, 4, 5, 6), {"op": "gap"})

    record("layers", "batchnorm_train", Named(nn.BatchNorm2d(3)), (4, 3, 5, 6), {"op": "batchnorm"})
    record("layers", "batchnorm_train_1x1_planes", Named(nn.BatchNorm2d(5)), (6, 5, 1, 1), {"op": "batchnorm"})
    record("layers", "batchnorm_eval", Named(nn.BatchNorm2d(3)), (2, 3, 4, 4), {"op": "batchnorm"}, train=False)
    record("layers", "batchnorm_momentum_eps", Named(nn.BatchNorm2d(2, eps=1e-3, momentum=0.3)), (3, 2, 4, 5),
           {"op": "batchnorm", "eps": 1e-3, "momentum": 0.3})
    record("layers", "batchnorm_no_affine", Named(nn.BatchNorm2d(2, affine=False)), (3, 2, 3, 3),
           {"op": "batchnorm", "affine": False})

    record("layers", "lrn_alexnet", Named(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)), (2, 7, 3, 4),
           {"op": "lrn", "size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0})
    record("layers", "lrn_even_size_large_alpha", Named(nn.LocalResponseNorm(2, alpha=0.5, beta=0.6, k=1.0)),
           (2, 4, 3, 3), {"op": "lrn", "size": 2, "alpha": 0.5, "beta": 0.6, "k": 1.0})
    record("layers", "lrn_window_wider_than_channels", Named(nn.LocalResponseNorm(7, alpha=0.3, beta=0.75, k=1.5)),
           (1, 3, 4, 4), {"op": "lrn", "size": 7, "alpha": 0.3, "beta": 0.75, "k": 1.5})

    for mode in ["reflect", "replicate", "circular"]:
        record("layers", "pad_" + mode, Pad(1, 2, 2, 0, mode), (2, 2, 4, 5),
               {"op": "pad", "top": 1, "left": 2, "bottom": 2, "right": 0, "mode": mode})
    record("layers", "pad_constant", Pad(2, 1, 0, 3, "constant", 0.5), (2, 2, 3, 4),
           {"op": "pad", "top": 2, "left": 1, "bottom": 0, "right": 3, "mode": "constant", "value": 0.5})

    record("layers", "linear", Named(nn.Linear(12, 5)), (3, 12), {"op": "linear", "out": 5})
    for act in ["relu", "tanh", "sigmoid"]:
        module = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[act]
        record("layers", act, Named(module), (2, 3, 4, 4), {"op": act})
    record("layers", "softmax", Named(nn.Softmax(dim=1)), (3, 7), {"op": "softmax"})

    # GELU (exact erf form, PyTorch's default approximate='none') and SiLU. record() draws inputs in [-1, 1); these
    # curve and saturate further out (the CPU kernel's erf switches branch at |x| = sqrt(2)), so their inputs are
    # spread to [-4, 4).
    def record_spread(name, module, shape, case, spread=4.0, seed=0):
        g = torch.Generator().manual_seed(seed + 2)
        x = ((torch.rand(shape, generator=g) * 2 - 1) * spread).requires_grad_(True)
        y = module(x)
        dy = torch.rand(y.shape, generator=g) * 2 - 1
        y.backward(dy)
        case = dict(case, train=True)
        tensors = {"input": x, "output": y, "grad_output": dy, "grad_input": x.grad}
        write_safetensors(os.path.join(ROOT, "layers", name + ".safetensors"), tensors, {"case": json.dumps(case)})

    record_spread("gelu", nn.GELU(), (2, 3, 4, 4), {"op": "gelu"})
    record_spread("silu", nn.SiLU(), (2, 3, 4, 4), {"op": "silu"})
    # The leaky ReLU at PyTorch's default slope and a larger one.
    record_spread("leaky_relu", nn.LeakyReLU(0.01), (2, 3, 4, 4), {"op": "leaky_relu", "negative_slope": 0.01})
    record_spread("leaky_relu_slope0.2", nn.LeakyReLU(0.2), (2, 3, 4, 4),
                  {"op": "leaky_relu", "negative_slope": 0.2})


# ---- LogSoftmax, nearest Upsample and AvgPool2d(count_include_pad=False) ----
def spatial_layers():
    # Our LogSoftmax node, like Softmax, works on a flat (N, F) input: PyTorch's LogSoftmax(dim=1) on (N, C).
    record("layers", "logsoftmax", Named(nn.LogSoftmax(dim=1)), (3, 7), {"op": "logsoftmax"})
    record("layers", "logsoftmax_wide_rows", Named(nn.LogSoftmax(dim=1)), (2, 130), {"op": "logsoftmax"})

    record("layers", "upsample_nearest_x2", Named(nn.Upsample(scale_factor=2, mode="nearest")), (2, 3, 4, 5),
           {"op": "upsample", "scale_h": 2, "scale_w": 2})
    record("layers", "upsample_nearest_3x2", Named(nn.Upsample(scale_factor=(3, 2), mode="nearest")), (2, 2, 3, 5),
           {"op": "upsample", "scale_h": 3, "scale_w": 2})
    record("layers", "upsampling_nearest2d_x3", Named(nn.UpsamplingNearest2d(scale_factor=3)), (1, 2, 4, 3),
           {"op": "upsample", "scale_h": 3, "scale_w": 3})

    record("layers", "avgpool_exclude_pad_k3_s2_p1", Named(nn.AvgPool2d(3, 2, padding=1, count_include_pad=False)),
           (2, 2, 7, 8), {"op": "avgpool_exclude_pad", "kernel": 3, "stride": 2, "padding": 1})
    # Ceil mode: the last windows hang over the bottom and right edges into and past the padding.
    record("layers", "avgpool_exclude_pad_k3_s2_p1_ceil",
           Named(nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)), (2, 2, 8, 7),
           {"op": "avgpool_exclude_pad", "kernel": 3, "stride": 2, "padding": 1, "ceil": True})


if __name__ == "__main__":
    torch.set_num_threads(1)
    what = sys.argv[1:] or ["layers", "models"]
    if "layers" in what:
        layers()
        spatial_layers()
    if "models" in what and os.path.exists(os.path.join(ROOT, "models.py")):
        sys.path.insert(0, ROOT)
        import models
        models.write_all(record, write_safetensors)
