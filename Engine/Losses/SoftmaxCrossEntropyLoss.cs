using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// Cross-entropy on a network's class scores, fused with softmax. When the network ends in a
/// <see cref="SoftmaxNode"/> (a model that outputs probabilities), the loss reads that node's input — the
/// logits — and backward starts there, which is both cheaper and numerically stable.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : IDisposable
{
    private readonly Network network;
    private readonly DeviceBuffer labels;
    private readonly DeviceBuffer stats;
    private readonly float[] labelStaging;
    private readonly float[] statsHost = new float[2];

    /// <summary>Prepares the loss buffers for <paramref name="network"/>.</summary>
    public SoftmaxCrossEntropyLoss(Network network)
    {
        this.network = network;
        Logits = network.Output is SoftmaxNode softmax ? softmax.Inputs[0] : network.Output;
        if (Logits.OutputShape.Rank != 1)
        {
            throw new GraphException($"Cross-entropy needs flat class scores; '{Logits.Name}' outputs " +
                $"{Logits.OutputShape}.");
        }

        Classes = Logits.OutputShape[0];
        labels = network.Accelerator.Allocate(network.MaxBatch);
        stats = network.Accelerator.Allocate(2);
        labelStaging = new float[network.MaxBatch];
    }

    /// <summary>The node whose output is treated as logits.</summary>
    public Node Logits { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>
    /// Computes the mean loss over the batch, writes its gradient into the logits' gradient buffer, and returns
    /// the mean loss and the number of correct predictions (the only values read back).
    /// </summary>
    public (float Loss, int Correct) Compute(ReadOnlySpan<int> targets, int batch)
    {
        for (var i = 0; i < batch; i++)
        {
            if ((uint)targets[i] >= (uint)Classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i],
                    $"Label of sample {i} is outside the {Classes} classes.");
            }

            labelStaging[i] = targets[i];
        }

        var acc = network.Accelerator;
        acc.CopyFromHost(labelStaging.AsSpan(0, batch), labels);
        var grad = network.GradOf(Logits) ?? throw new InvalidOperationException(
            $"'{Logits.Name}' has no gradient buffer; the network has nothing to learn.");
        acc.SoftmaxCrossEntropy(network.OutputOf(Logits), labels, batch, Classes, 1f / batch, grad, stats);
        acc.CopyToHost(stats, statsHost);
        return (statsHost[0] / batch, (int)statsHost[1]);
    }

    /// <summary>Backpropagates the gradient written by <see cref="Compute"/>.</summary>
    public void Backward() => network.Backward(Logits);

    /// <inheritdoc />
    public void Dispose()
    {
        labels.Release();
        stats.Release();
    }
}
