using GpuCnn.Engine.Optimizers;

namespace GpuCnn.Engine.Training;

/// <summary>The result of one training step or evaluation pass.</summary>
public readonly record struct StepResult(float Loss, int Correct, int Count)
{
    /// <summary>Fraction of correct predictions.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>
/// One training step — forward, fused softmax cross-entropy, backward, optimizer update — and evaluation, with
/// nothing read back from the device but the loss and the count of correct predictions.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly SoftmaxCrossEntropyLoss loss;

    /// <summary>Trains <paramref name="network"/> with <paramref name="optimizer"/>.</summary>
    public Trainer(Network network, Optimizer optimizer)
    {
        Network = network;
        Optimizer = optimizer;
        loss = new SoftmaxCrossEntropyLoss(network);
    }

    /// <summary>The network trained.</summary>
    public Network Network { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Runs one step on a batch of <paramref name="count"/> samples.</summary>
    public StepResult Step(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int count)
    {
        var result = ComputeGradients(inputs, labels, count);
        ApplyUpdate();
        return result;
    }

    /// <summary>
    /// The first half of <see cref="Step"/>: forward in training mode, loss, and fresh parameter gradients, with
    /// no update yet, so that the caller can inspect the loss or change the gradients (clipping) in between.
    /// </summary>
    public StepResult ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int count)
    {
        Network.Train();
        Network.Forward(inputs, count);
        var (value, correct) = loss.Compute(labels, count);
        Optimizer.ZeroGrad();
        loss.Backward();
        return new StepResult(value, correct, count);
    }

    /// <summary>The second half of <see cref="Step"/>: the optimizer's update from the current gradients.</summary>
    public void ApplyUpdate() => Optimizer.Step();

    /// <summary>Evaluates one batch in evaluation mode (no dropout, no update).</summary>
    public StepResult Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int count)
    {
        var training = Network.IsTraining;
        Network.Eval();
        Network.Forward(inputs, count);
        var (value, correct) = loss.Compute(labels, count);
        if (training)
        {
            Network.Train();
        }

        return new StepResult(value, correct, count);
    }

    /// <inheritdoc />
    public void Dispose() => loss.Dispose();
}
