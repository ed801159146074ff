using GpuCnn.Datasets;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>Test-set loss and accuracy of a trainer's network.</summary>
internal static class MnistEvaluation
{
    public static (double Loss, double Accuracy) Run(Trainer trainer, MnistDataset test, int batchSize) =>
        FitLoop.Evaluate(trainer, Source(test, batchSize));

    /// <summary>The test set in dataset order.</summary>
    public static IBatchSource Source(MnistDataset test, int batchSize) =>
        new BatcherSource(new MnistBatcher(test, batchSize, shuffle: false, seed: 0));
}
