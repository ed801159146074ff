using GpuCnn.Datasets;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;

var (train, test) = Mnist.LoadOrFetch(Mnist.DefaultDataDir);       // ./data/mnist or $GPUCNN_DATA_DIR, fetched once
using var accelerator = new CpuAccelerator();
using var network = ModelZoo.Build("lenet5", accelerator, maxBatch: 64, seed: 0);
using var trainer = new Trainer(network, new Adam(network.Parameters()));
var loop = new FitLoop(trainer, new MnistBatcher(train, 64, shuffle: true, seed: 0).ToBatchSource(prefetch: true),
    new MnistBatcher(test, 64, shuffle: false, seed: 0).ToBatchSource(), epochs: 1);
Console.WriteLine($"{loop.Run().Message} Test accuracy {loop.History[^1].TestAccuracy:P2}.");
var digit = new MnistBatcher(test, 1, shuffle: false, seed: 0).Epoch(0).First();   // test image 0, normalised
Console.WriteLine($"Test image 0, a {digit.Labels[0]}, is predicted {network.Classify(digit.Images, 1)[0]}.");
