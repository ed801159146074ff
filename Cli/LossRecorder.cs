using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>One recorded training step: where it falls in epochs, its loss and the loss smoothed up to it.</summary>
/// <param name="Epoch">The epoch it belongs to (1-based).</param>
/// <param name="Step">Its index inside that epoch (1-based).</param>
/// <param name="EpochFraction">Epochs done after this step, fractional: the x coordinate of the curves.</param>
/// <param name="Loss">The batch's training loss (dropout on).</param>
/// <param name="Smoothed">The exponential moving average of the losses so far, bias-corrected.</param>
internal sealed record StepPoint(int Epoch, int Step, double EpochFraction, double Loss, double Smoothed);

/// <summary>
/// Records every step's training loss, smoothed by an exponential moving average, for the loss curves. The test
/// metrics per epoch are the loop's own <see cref="FitLoop.History"/>, which a resumed run carries over; the steps
/// are only those this process ran.
/// </summary>
internal sealed class LossRecorder(int batchCount, double beta = LossRecorder.DefaultBeta) : TrainingCallback
{
    /// <summary>
    /// Weight of the past in the moving average: about the last 1 / (1 - beta) = 100 steps count, a tenth of an
    /// MNIST epoch at batch 64: enough to show the trend through the batch noise, short enough to follow the first
    /// fast drop.
    /// </summary>
    public const double DefaultBeta = 0.99;

    private readonly List<StepPoint> steps = [];
    private double average;
    private int averaged;

    /// <summary>The smoothing factor.</summary>
    public double Beta { get; } = beta;

    /// <summary>Steps in order.</summary>
    public IReadOnlyList<StepPoint> Steps => steps;

    /// <summary>The loop's per-epoch metrics, once it has begun.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; private set; } = [];

    public override void OnFitBegin(FitLoop loop) => Epochs = loop.History;

    public override void OnStepEnd(FitLoop loop, StepResult step)
    {
        averaged++;
        average = Beta * average + (1 - Beta) * step.Loss;
        // Starting the average at zero drags the first steps down; dividing by 1 - beta^n undoes that.
        var smoothed = average / (1 - Math.Pow(Beta, averaged));
        var fraction = loop.CompletedEpochs + (double)loop.StepInEpoch / Math.Max(1, batchCount);
        steps.Add(new StepPoint(loop.CurrentEpoch, loop.StepInEpoch, fraction, step.Loss, smoothed));
    }
}
