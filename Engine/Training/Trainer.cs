using GpuCnn.Engine.Distributed;
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

    /// <summary>
    /// Set for data-parallel training: <see cref="ComputeGradients"/> then takes this rank's shard, and returns the
    /// global loss and counts with the gradient of the mean loss over every rank's shard. Null in one process.
    /// </summary>
    public DataParallel? Parallel { get; set; }

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
        if (Parallel is not { } parallel)
        {
            Network.Forward(inputs, count);
            var (value, correct) = loss.Compute(labels, count);
            Optimizer.ZeroGrad();
            loss.Backward();
            return new StepResult(value, correct, count);
        }

        // A rank whose shard is empty (a batch smaller than the ranks) contributes zero gradients with zero weight.
        var (shardLoss, shardCorrect) = (0f, 0);
        if (count > 0)
        {
            Network.Forward(inputs, count);
            (shardLoss, shardCorrect) = loss.Compute(labels, count);
        }

        Optimizer.ZeroGrad();
        parallel.BeginBackward(count);
        if (count > 0)
        {
            loss.Backward();
        }

        return parallel.Finish(shardLoss, shardCorrect, count);
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
