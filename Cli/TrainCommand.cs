using System.CommandLine;
using GpuCnn.Cli.Train;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn train</c>: trains a model on MNIST, CIFAR-10 or an image folder with a live progress bar per
/// epoch. Its options are bound in groups (<see cref="ModelOptions"/>, <see cref="DataOptions"/>,
/// <see cref="OptimizerOptions"/>, <see cref="ScheduleOptions"/>, <see cref="StoppingOptions"/>,
/// <see cref="OutputOptions"/>, <see cref="StartOptions"/>); <see cref="TrainRun"/> runs it.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var data = new DataOptions();
        var optimizer = new OptimizerOptions();
        var schedule = new ScheduleOptions();
        var stopping = new StoppingOptions();
        var outputs = new OutputOptions();
        var start = new StartOptions();

        // The order of --help: the options as they were added, then the files the run writes.
        var command = new Command("train", "Train a model on MNIST, CIFAR-10 or an image folder; under mpirun, " +
            "data-parallel: --batch-size is the global batch, split among the ranks, and batch norm uses each " +
            "rank's own statistics")
        {
            model.Model, data.Dataset, schedule.Epochs, data.BatchSize, optimizer.Name, optimizer.Lr,
            optimizer.Momentum, optimizer.WeightDecay, model.Seed, model.Device, data.Folder, data.Augment, data.Limit,
            stopping.Patience,
            stopping.MinDelta, stopping.Monitor, schedule.Name, schedule.StepSize, schedule.Gamma, schedule.Patience,
            optimizer.ClipGradNorm, start.Resume, start.Pretrained, start.Regime, start.Freeze, start.NewHead,
            model.Classes, data.Digits, data.Prefetch, data.ValidationSplit, outputs.Checkpoint, outputs.CheckpointBest,
            outputs.MetricsJson, outputs.Plot, outputs.LogCsv, outputs.LogStepsCsv,
        };
        command.SetAction(parse => TrainRun.Run(new TrainSettings(model.Bind(parse), data.Bind(parse),
            optimizer.Bind(parse), schedule.Bind(parse),
            stopping.Bind(parse, validating: parse.GetValue(data.ValidationSplit) is not null), outputs.Bind(parse),
            start.Bind(parse))));
        return command;
    }
}
