using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;

var g = new GraphBuilder();
var x = g.Input(ResNet.InputShape);                        // 3x224x224
var logits = ResNet.ResNet18(g, x);                        // conv1, bn1, layer1.0.conv1, ..., fc as in torchvision
Console.Write(ModelSummary.Of(g, logits).ToText());        // the per-layer table, without building anything
using var accelerator = new CpuAccelerator();
using var resnet = g.Build(logits, accelerator, maxBatch: 32);
var report = Checkpoint.LoadMatching("resnet18.safetensors", resnet);   // parameters and running statistics
resnet.Eval();                                             // batch norm uses the running statistics
var image = new float[3 * 224 * 224];                      // one image, normalised as torchvision's transforms do
var probabilities = resnet.PredictProbabilities(image, batch: 1);       // 1000 ImageNet class probabilities
