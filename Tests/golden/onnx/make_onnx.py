"""ONNX fixtures for Tests/Onnx: PyTorch models exported with torch.onnx.export, each beside the input it was run
on and PyTorch's output (NAME.onnx, NAME.io.safetensors). The architectures are torchvision's, made small: ResNet-18,
VGG-11, AlexNet and GoogLeNet from ../models.py (torchvision's module names and op patterns at a reduced width),
DenseNet-121 from torchvision's own class with a small growth rate, and a small CNN that uses the remaining ops the
importer reads. Weights are random and batch-norm statistics are set away from 0 and 1.

    /usr/bin/python3 Tests/golden/onnx/make_onnx.py
"""

import os
import sys

import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import make_golden  # noqa: E402
import models  # noqa: E402


class SmallCnn(nn.Module):
    """Grouped and dilated convolutions, batch norm, the leaky ReLU, GELU, SiLU, ceil-mode max
    pooling, average pooling without the padding, nearest upsampling, a concatenation, dropout and two dense layers.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4)
        self.conv3 = nn.Conv2d(8, 4, 1)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.avg = nn.AvgPool2d(3, 2, padding=1, count_include_pad=False)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(12 * 8 * 8, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        h = nn.functional.leaky_relu(self.bn1(self.conv1(x)), 0.1)
        h = nn.functional.gelu(self.conv2(h))
        h = self.pool(h)
        a = nn.functional.silu(self.conv3(h))
        h = torch.cat([self.up(self.avg(h)), a], 1)
        h = self.drop(torch.flatten(h, 1))
        return self.fc2(torch.relu(self.fc1(h)))


CASES = [
    # name, model, input shape, opset
    ("small-cnn", SmallCnn, (2, 3, 16, 16), 17),
    ("small-cnn-opset11", SmallCnn, (2, 3, 16, 16), 11),
    ("resnet18", lambda: models.ResNet(models.Basic, [2, 2, 2, 2], 7, 8, False), (2, 3, 64, 64), 13),
    ("vgg11", lambda: models.vgg("A", 7, 1 / 16), (2, 3, 32, 32), 11),
    ("alexnet", lambda: models.alexnet(7, 1 / 16), (2, 3, 67, 67), 14),
    ("googlenet", lambda: models.GoogLeNet(7, 1 / 16), (2, 3, 64, 64), 15),
    ("densenet121", lambda: torchvision.models.DenseNet(growth_rate=4, block_config=(6, 12, 24, 16),
                                                       num_init_features=8, bn_size=2, num_classes=7),
     (2, 3, 64, 64), 17),
]


def main():
    for name, make, shape, opset in CASES:
        torch.manual_seed(21)
        model = make()
        model.eval()
        with torch.no_grad():
            model(torch.zeros(shape))  # sizes the lazy layers
        models.randomise_batch_norm(model, 22)
        x = torch.rand(shape, generator=torch.Generator().manual_seed(23)) * 2 - 1
        with torch.no_grad():
            y = model(x)
        path = os.path.join(HERE, name + ".onnx")
        # PRESERVE keeps the BatchNormalization nodes (EVAL would fold them into the convolutions); constant folding
        # turns the shape arithmetic of the padding into plain pads.
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
        make_golden.write_safetensors(os.path.join(HERE, name + ".io.safetensors"),
                                      {"input": x, "output": y}, {"opset": str(opset)})
        print(name, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
