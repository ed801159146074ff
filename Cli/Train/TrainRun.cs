using System.Globalization;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;
using GpuCnn.Models;

namespace GpuCnn.Cli.Train;

/// <summary>
/// A <c>train</c> run: checks the options against each other, the checkpoint to resume and the data, in that order,
/// before the device is opened; then trains with the callbacks the options ask for, until done, stopped early,
/// diverged or interrupted by Ctrl-C. Returns the process exit code: 0 done, 1 diverged, 2 bad options, 130
/// interrupted.
/// </summary>
internal static class TrainRun
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(TrainSettings s)
    {
        if (!s.Start.Consistent())
        {
            return 2;
        }

        s.Outputs.Check();
        if (!s.Data.TryParseDigits(out var digits) || !TryClassCount(s.Model.Classes, digits, out var classCount))
        {
            return 2;
        }

        if (s.Start.Resume is { } resume)
        {
            if (Resume.From(resume, s) is not { } resumed)
            {
                return 2;
            }

            s = resumed;
        }

        s = s with { Data = s.Data.WithDefaultDataset(s.Model.Name) };
        if (!s.Stopping.Measurable(s.Data.ValidationSplit) || !s.Data.Suits(s.Model.Name, digits) ||
            LoadData(s, digits, classCount) is not { } loaded)
        {
            return 2;
        }

        return Train(s, loaded.Data, digits, loaded.Classes);
    }

    // The head's outputs before the data is read: --classes, else one per digit of --digits, else null (one per
    // class of the dataset); false after printing why --classes does not fit --digits.
    private static bool TryClassCount(int? classes, byte[]? digits, out int? classCount)
    {
        classCount = classes ?? digits?.Length;
        if (classCount < 2 || (digits is not null && classCount != digits.Length))
        {
            Console.Error.WriteLine($"--classes must be at least 2 and equal the number of --digits " +
                $"({digits?.Length.ToString(Invariant) ?? "all 10"}); got {classCount}.");
            return false;
        }

        return true;
    }

    // The data, its training images cut to --limit-train, and the head's outputs; null after printing why the head
    // cannot classify the dataset.
    private static (TrainingData Data, int Classes)? LoadData(TrainSettings s, byte[]? digits, int? classCount)
    {
        var input = ModelZoo.InputShape(s.Model.Name);
        var data = TrainingData.Load(s.Data.Dataset!, s.Data.Folder, input, digits, withTrain: true,
            message => Console.Error.WriteLine(message));
        var classes = classCount ?? data.ClassCount;
        if (classes < Math.Max(2, data.ClassCount))
        {
            Console.Error.WriteLine($"{data.Title} has {data.ClassCount} classes but the head would have {classes} " +
                "outputs; a classifier needs at least 2, and one per class.");
            return null;
        }

        if (s.Data.Limit is { } n)
        {
            data = data with { Train = data.Train!.Slice(0, Math.Min(n, data.Train!.Count)) };
        }

        // Held out of the images --limit-train kept: the split is of the data the run would otherwise train on.
        if (s.Data.ValidationSplit is { } fraction)
        {
            try
            {
                data = data.HoldOut(fraction, s.Model.Seed);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"--validation-split {fraction.ToString(Invariant)}: {e.Message}");
                return null;
            }
        }

        return (data, classes);
    }

    private static int Train(TrainSettings s, TrainingData data, byte[]? digits, int classes)
    {
        var (model, batch) = (s.Model.Name, s.Data.BatchSize);
        var ranks = Ranks.Start();
        var shard = ranks?.ShardBatch(batch) ?? batch;
        using var accelerator = Devices.Open(s.Model.Device);
        OptionChecks.BatchFits(model, classes, shard, accelerator);
        using var network = ModelZoo.Build(model, accelerator, shard, s.Model.Seed, classes: classes);
        if (!s.Start.Prepare(network, model))
        {
            return 2;
        }

        using var optimizer = s.Optimizer.Create(network);
        optimizer.LearningRate *= s.Start.Transfer.LearningRateScale();
        using var trainer = new Trainer(network, optimizer);
        ranks?.Attach(trainer);
        var source = Ranks.Shard(trainer, data.TrainSource(batch, s.Model.Seed, s.Data.Augment, s.Data.Prefetch));
        var callbacks = TrainCallbacks.Create(s, data, optimizer, source.BatchCount);
        var loop = new FitLoop(trainer, source, data.TestSource(shard), s.Schedule.Epochs,
            ranks?.Filter(trainer, callbacks) ?? callbacks)
        {
            InterruptCheckpointPath = s.Outputs.InterruptCheckpoint, WritesFiles = ranks?.IsRoot ?? true,
            Validation = data.ValidationSource(shard),
        };
        AddMetadata(loop, s, data, digits, classes);
        if (s.Start.Resume is { } path)
        {
            loop.Resume(path);
            Console.WriteLine($"Resuming {path}: {loop.CompletedEpochs} epochs and {loop.StepInEpoch} steps done.");
        }

        Console.WriteLine(string.Create(Invariant,
            $"{model} ({network.ParameterCount:N0} parameters) on {accelerator.Name}; " +
            $"{OptimizerSettings.Describe(optimizer)}, batch {batch}, seed {s.Model.Seed}, {data.Train!.Count:N0} " +
            $"training images{(s.Data.Dataset == TrainingData.MnistName ? "" : $" of {data.Title}")}" +
            $"{(s.Data.Augment ? ", augmented" : "")}" +
            $"{(data.Validation is { } v ? $", {v.Count:N0} held out for validation" : "")}"));
        var code = ExitCode(RunUntilDoneOrCancelled(loop));
        ranks?.Finish();
        return code;
    }

    // What eval, predict and a later --resume read back from the checkpoints.
    private static void AddMetadata(FitLoop loop, TrainSettings s, TrainingData data, byte[]? digits, int classes)
    {
        loop.Metadata["model"] = s.Model.Name;
        loop.Metadata["seed"] = s.Model.Seed.ToString(Invariant);
        loop.Metadata[ModelZoo.ClassesKey] = classes.ToString(Invariant);
        loop.Metadata[TrainingData.DatasetKey] = s.Data.Dataset!;
        if (digits is not null)
        {
            loop.Metadata["digits"] = DigitList.Format(digits);
        }

        if (s.Data.Dataset == TrainingData.FolderName)
        {
            loop.Metadata[TrainingData.ClassNamesKey] = string.Join('/', data.Test.ClassNames);
        }

        if (s.Data.Augment)
        {
            loop.Metadata[TrainingData.AugmentKey] = "true";
        }

        if (s.Data.ValidationSplit is { } fraction)
        {
            loop.Metadata[DataSettings.ValidationSplitKey] = fraction.ToString("R", Invariant);
        }
    }

    // The first Ctrl-C stops the loop after its step, which saves the state; a second one ends the process at once.
    private static FitResult RunUntilDoneOrCancelled(FitLoop loop)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
            {
                return;
            }

            e.Cancel = true;
            cancellation.Cancel();
            Console.Error.WriteLine("Stopping after this step and saving the state (Ctrl-C again to quit at once).");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return loop.Run(cancellation.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int ExitCode(FitResult result)
    {
        switch (result.Outcome)
        {
            case FitOutcome.Interrupted:
                Console.Error.WriteLine($"{result.Message} Continue with --resume {result.Checkpoint}.");
                return 130;
            case FitOutcome.Diverged:
                Console.Error.WriteLine(result.Message);
                return 1;
            default:
                Console.WriteLine(result.Message);
                return 0;
        }
    }
}
