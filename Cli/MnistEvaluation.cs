using GpuCnn.Datasets;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>Test-set loss and accuracy of a trainer's network.</summary>
internal static class MnistEvaluation
{
    public static (double Loss, double Accuracy) Run(Trainer trainer, MnistDataset test, int batchSize)
    {
        var batcher = new MnistBatcher(test, batchSize, shuffle: false, seed: 0);
        double lossSum = 0;
        long correct = 0;
        foreach (var batch in batcher.Epoch(0))
        {
            var result = trainer.Evaluate(batch.Images, batch.Labels, batch.Count);
            lossSum += (double)result.Loss * batch.Count;
            correct += result.Correct;
        }

        return (lossSum / test.Count, (double)correct / test.Count);
    }
}
