"""Small versions of the classic architectures, written in PyTorch with torchvision's module names, for the
conformance fixtures (see make_golden.py). Each mirrors one factory of Models/ at a reduced width; the "case"
written with each fixture says which factory and which arguments the C# test calls.
"""

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.densenet import DenseNet
from torchvision.models.googlenet import BasicConv2d, Inception


def scale(channels, width, multiple=1):
    """Models/Width.cs: channels * width rounded half away from zero to a positive multiple."""
    units = math.floor(channels * width / multiple + 0.5)
    return max(1, units) * multiple


def randomise_batch_norm(model, seed):
    """Batch-norm scales, shifts and running statistics away from 1 and 0; weights keep PyTorch's initialisation
    so that deep networks without normalisation neither explode nor vanish."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


class Sequential(nn.Sequential):
    """nn.Sequential whose children are named by torchvision's indices, Nones skipped (index kept)."""

    def __init__(self, layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if layer is not None:
                self.add_module(str(i), layer)


def lrn():
    return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)


class AlexNetPaper(nn.Module):
    def __init__(self, classes, width):
        super().__init__()
        c = lambda n: scale(n, width, 2)
        self.conv1 = nn.Conv2d(3, c(96), 11, 4)
        self.conv2 = nn.Conv2d(c(96), c(256), 5, padding=2, groups=2)
        self.conv3 = nn.Conv2d(c(256), c(384), 3, padding=1)
        self.conv4 = nn.Conv2d(c(384), c(384), 3, padding=1, groups=2)
        self.conv5 = nn.Conv2d(c(384), c(256), 3, padding=1, groups=2)
        self.fc6 = nn.LazyLinear(c(4096))
        self.fc7 = nn.Linear(c(4096), c(4096))
        self.fc8 = nn.Linear(c(4096), classes)

    def forward(self, x):
        h = F.max_pool2d(lrn()(F.relu(self.conv1(x))), 3, 2)
        h = F.max_pool2d(lrn()(F.relu(self.conv2(h))), 3, 2)
        h = F.relu(self.conv5(F.relu(self.conv4(F.relu(self.conv3(h))))))
        h = torch.flatten(F.max_pool2d(h, 3, 2), 1)
        return self.fc8(F.relu(self.fc7(F.relu(self.fc6(h)))))


def alexnet(classes, width):
    c = lambda n: scale(n, width)
    model = nn.Module()
    model.features = Sequential([
        nn.Conv2d(3, c(64), 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c(64), c(192), 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c(192), c(384), 3, padding=1), nn.ReLU(),
        nn.Conv2d(c(384), c(256), 3, padding=1), nn.ReLU(),
        nn.Conv2d(c(256), c(256), 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2)])
    model.classifier = Sequential([None, nn.LazyLinear(c(4096)), nn.ReLU(), None, nn.Linear(c(4096), c(4096)),
                                   nn.ReLU(), nn.Linear(c(4096), classes)])
    return Chain(model, lambda m, x: m.classifier(torch.flatten(m.features(x), 1)))


class ZFNet(nn.Module):
    def __init__(self, classes, width):
        super().__init__()
        c = lambda n: scale(n, width)
        self.conv1 = nn.Conv2d(3, c(96), 7, 2, 1)
        self.conv2 = nn.Conv2d(c(96), c(256), 5, 2)
        self.conv3 = nn.Conv2d(c(256), c(384), 3, padding=1)
        self.conv4 = nn.Conv2d(c(384), c(384), 3, padding=1)
        self.conv5 = nn.Conv2d(c(384), c(256), 3, padding=1)
        self.fc6 = nn.LazyLinear(c(4096))
        self.fc7 = nn.Linear(c(4096), c(4096))
        self.fc8 = nn.Linear(c(4096), classes)

    def forward(self, x):
        h = lrn()(F.max_pool2d(F.relu(self.conv1(x)), 3, 2, ceil_mode=True))
        h = lrn()(F.max_pool2d(F.relu(self.conv2(h)), 3, 2, ceil_mode=True))
        h = F.relu(self.conv5(F.relu(self.conv4(F.relu(self.conv3(h))))))
        h = torch.flatten(F.max_pool2d(h, 3, 2, ceil_mode=True), 1)
        return self.fc8(F.relu(self.fc7(F.relu(self.fc6(h)))))


VGG_KERNELS = {
    "A": [[3], [3], [3, 3], [3, 3], [3, 3]],
    "ALrn": [[3], [3], [3, 3], [3, 3], [3, 3]],
    "C": [[3, 3], [3, 3], [3, 3, 1], [3, 3, 1], [3, 3, 1]],
    "D": [[3, 3], [3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]],
}


def vgg_features(config, width, batch_norm):
    layers = []
    cin = 3
    for block, channels in enumerate([64, 128, 256, 512, 512]):
        for k in VGG_KERNELS[config][block]:
            cout = scale(channels, width)
            layers.append(nn.Conv2d(cin, cout, k, padding=k // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU())
            if config == "ALrn" and block == 0:
                layers.append(lrn())
            cin = cout
        layers.append(nn.MaxPool2d(2))
    return Sequential(layers), cin


class Chain(nn.Module):
    """A module whose forward is given as a function of its children (keeps the children's names flat)."""

    def __init__(self, inner, forward):
        super().__init__()
        for name, child in inner.named_children():
            self.add_module(name, child)
        self._forward = forward

    def forward(self, x):
        return self._forward(self, x)


def vgg(config, classes, width):
    model = nn.Module()
    model.features, channels = vgg_features(config, width, False)
    model.classifier = Sequential([nn.LazyLinear(scale(4096, width)), nn.ReLU(), None,
                                   nn.Linear(scale(4096, width), scale(4096, width)), nn.ReLU(), None,
                                   nn.Linear(scale(4096, width), classes)])
    return Chain(model, lambda m, x: m.classifier(torch.flatten(m.features(x), 1)))


def vgg_cifar(config, classes, width):
    model = nn.Module()
    model.features, channels = vgg_features(config, width, True)
    model.classifier = nn.Linear(channels, classes)
    return Chain(model, lambda m, x: m.classifier(torch.flatten(m.features(x), 1)))


class Basic(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, block, blocks, classes, base, cifar_stem):
        super().__init__()
        self.cifar_stem = cifar_stem
        self.conv1 = nn.Conv2d(3, base, 3, 1, 1, bias=False) if cifar_stem else nn.Conv2d(3, base, 7, 2, 3,
                                                                                            bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        channels = base
        for stage, count in enumerate(blocks):
            planes = base << stage
            layers = []
            for i in range(count):
                stride = 2 if stage > 0 and i == 0 else 1
                layers.append(block(channels, planes, stride))
                channels = planes if block is Basic else planes * 4
            self.add_module("layer%d" % (stage + 1), nn.Sequential(*layers))
        self.stages = len(blocks)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        if not self.cifar_stem:
            h = F.max_pool2d(h, 3, 2, 1)
        for stage in range(self.stages):
            h = getattr(self, "layer%d" % (stage + 1))(h)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


GOOGLENET_MODULES = [
    ("inception3a", [64, 96, 128, 16, 32, 32]),
    ("inception3b", [128, 128, 192, 32, 96, 64]),
    ("inception4a", [192, 96, 208, 16, 48, 64]),
    ("inception4b", [160, 112, 224, 24, 64, 64]),
    ("inception4c", [128, 128, 256, 24, 64, 64]),
    ("inception4d", [112, 144, 288, 32, 64, 64]),
    ("inception4e", [256, 160, 320, 32, 128, 128]),
    ("inception5a", [256, 160, 320, 32, 128, 128]),
    ("inception5b", [384, 192, 384, 48, 128, 128]),
]


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet (BasicConv2d with batch norm, 3x3 third branch, ceil-mode pools) at a width."""

    def __init__(self, classes, width):
        super().__init__()
        c = lambda n: scale(n, width)
        self.conv1 = BasicConv2d(3, c(64), kernel_size=7, stride=2, padding=3)
        self.conv2 = BasicConv2d(c(64), c(64), kernel_size=1)
        self.conv3 = BasicConv2d(c(64), c(192), kernel_size=3, padding=1)
        channels = c(192)
        for name, widths in GOOGLENET_MODULES:
            w = [c(v) for v in widths]
            self.add_module(name, Inception(channels, *w))
            channels = w[0] + w[2] + w[4] + w[5]
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        h = F.max_pool2d(self.conv1(x), 3, 2, ceil_mode=True)
        h = F.max_pool2d(self.conv3(self.conv2(h)), 3, 2, ceil_mode=True)
        for name, _ in GOOGLENET_MODULES:
            if name == "inception4a":
                h = F.max_pool2d(h, 3, 2, ceil_mode=True)
            elif name == "inception5a":
                h = F.max_pool2d(h, 2, 2, ceil_mode=True)
            h = getattr(self, name)(h)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def write_all(record, write_safetensors):
    cases = [
        ("alexnet", lambda: alexnet(7, 1 / 32), (2, 3, 67, 67), {"width": 1 / 32}),
        ("alexnet-paper", lambda: AlexNetPaper(7, 1 / 32), (2, 3, 67, 67), {"width": 1 / 32}),
        ("zfnet", lambda: ZFNet(7, 1 / 32), (2, 3, 64, 64), {"width": 1 / 32}),
        ("vgg-a-lrn", lambda: vgg("ALrn", 7, 1 / 32), (2, 3, 32, 32), {"config": "ALrn", "width": 1 / 32}),
        ("vgg-c", lambda: vgg("C", 7, 1 / 32), (2, 3, 32, 32), {"config": "C", "width": 1 / 32}),
        ("vgg16-cifar", lambda: vgg_cifar("D", 10, 1 / 16), (4, 3, 32, 32), {"config": "D", "width": 1 / 16}),
        ("resnet18-cifar", lambda: ResNet(Basic, [2, 2, 2, 2], 10, 4, True), (4, 3, 32, 32), {"base": 4}),
        ("resnet50", lambda: ResNet(Bottleneck, [3, 4, 6, 3], 7, 2, False), (4, 3, 64, 64), {"base": 2}),
        ("googlenet", lambda: GoogLeNet(7, 1 / 16), (4, 3, 64, 64), {"width": 1 / 16}),
        ("densenet121", lambda: DenseNet(2, (6, 12, 24, 16), 4, 4, 0, 7), (4, 3, 64, 64),
         {"growth": 2, "init": 4}),
    ]
    for name, make, shape, args in cases:
        torch.manual_seed(11)
        model = make()
        model.eval()
        with torch.no_grad():
            classes = model(torch.zeros(shape)).shape[1]  # also sizes the lazy layers
        randomise_batch_norm(model, 12)
        if name == "resnet18-cifar":
            # A whole state_dict as a user would export it, num_batches_tracked (int64) included.
            write_safetensors(os.path.join(os.path.dirname(os.path.abspath(__file__)), "models",
                                           name + ".state_dict.safetensors.bin"), model.state_dict(), {})
        case = {"model": name, "classes": classes}
        case.update(args)
        record("models", name, model, shape, case, seed=13, randomise_params=False)
