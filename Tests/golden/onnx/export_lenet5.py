"""PyTorch's LeNet-5 with the module names of gpu-cnn's lenet5 (conv1, conv2, fc1, fc2, fc3), random weights,
exported to ONNX: the first step of the README's round trip.

    /usr/bin/python3 Tests/golden/onnx/export_lenet5.py lenet5-torch.onnx
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = torch.flatten(h, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(h)))))


torch.manual_seed(0)
model = LeNet5().eval()
torch.onnx.export(model, torch.zeros(1, 1, 28, 28), sys.argv[1] if len(sys.argv) > 1 else "lenet5-torch.onnx",
                  opset_version=17, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
