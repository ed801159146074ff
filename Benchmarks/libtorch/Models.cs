using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GpuCnn.LibTorchPeer;

/// <summary>The four benchmark models, layer for layer as Benchmarks/peer/peer_common.py builds them for PyTorch, so
/// that both peers time the same arithmetic. The parameter counts are checked against that script's.</summary>
internal static class Models
{
    /// <summary>Model name to (builder, input shape of one image, parameter count of the PyTorch model).</summary>
    public static readonly Dictionary<string, (Func<Module<Tensor, Tensor>> Build, long[] Shape, long Params)> All =
        new()
        {
            ["lenet5"] = (LeNet5, [1, 28, 28], 61_706),
            ["seednet"] = (SeedNet, [1, 28, 28], 1_191_338),
            ["vgg16-cifar"] = (Vgg16Cifar, [3, 32, 32], 14_728_266),
            ["resnet18-cifar"] = (() => new ResNet18Cifar(), [3, 32, 32], 11_173_962),
        };

    private static Module<Tensor, Tensor> LeNet5() => Sequential(
        Conv2d(1, 6, 5, padding: 2), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(400, 120), ReLU(),
        Linear(120, 84), ReLU(),
        Linear(84, 10));

    // 28x28 -> conv 3x3/2 valid -> 13x13x64 -> conv 2x2 Keras 'same' -> 13x13x32 -> max pool 2, stride 1 -> 12x12x32
    // -> dense 256 (tanh) -> dense 10.
    private static Module<Tensor, Tensor> SeedNet() => Sequential(
        Conv2d(1, 64, 3, stride: 2), ReLU(),
        new PadSameEven(), Conv2d(64, 32, 2), ReLU(),
        MaxPool2d(2, 1),
        Dropout(0.35),
        Flatten(),
        Linear(12 * 12 * 32, 256), Tanh(),
        Dropout(0.5),
        Linear(256, 10));

    private static Module<Tensor, Tensor> Vgg16Cifar()
    {
        int[] config = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var v in config)
        {
            if (v == 0)
            {
                layers.Add(MaxPool2d(2));
            }
            else
            {
                layers.Add(Conv2d(channels, v, 3, padding: 1));
                layers.Add(BatchNorm2d(v));
                layers.Add(ReLU());
                channels = v;
            }
        }

        layers.Add(Flatten());
        layers.Add(Linear(512, 10));
        return Sequential(layers);
    }

    /// <summary>Keras 'same' padding for a 2x2 kernel at stride 1: one extra row and column at the bottom and right.
    /// </summary>
    private sealed class PadSameEven() : Module<Tensor, Tensor>(nameof(PadSameEven))
    {
        public override Tensor forward(Tensor x) => functional.pad(x, [0, 1, 0, 1]);
    }

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        public BasicBlock(long cin, long cout, long stride) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(cout);
            conv2 = Conv2d(cout, cout, 3, stride: 1, padding: 1, bias: false);
            bn2 = BatchNorm2d(cout);
            if (stride != 1 || cin != cout)
            {
                downsample = Sequential(Conv2d(cin, cout, 1, stride: stride, bias: false), BatchNorm2d(cout));
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var output = bn2.call(conv2.call(functional.relu(bn1.call(conv1.call(x)))));
            return functional.relu(output + (downsample is null ? x : downsample.call(x)));
        }
    }

    /// <summary>ResNet-18 for 32x32 images: a 3x3 stride-1 stem without max pool, four stages of two basic blocks,
    /// global average pooling and a 512 -> 10 classifier.</summary>
    private sealed class ResNet18Cifar : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, layer1, layer2, layer3, layer4, fc;

        public ResNet18Cifar() : base(nameof(ResNet18Cifar))
        {
            conv1 = Conv2d(3, 64, 3, stride: 1, padding: 1, bias: false);
            bn1 = BatchNorm2d(64);
            layer1 = Sequential(new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1));
            layer2 = Sequential(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
            layer3 = Sequential(new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1));
            layer4 = Sequential(new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1));
            fc = Linear(512, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = functional.relu(bn1.call(conv1.call(x)));
            x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
            return fc.call(flatten(functional.adaptive_avg_pool2d(x, 1), 1));
        }
    }
}
