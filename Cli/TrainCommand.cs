using System.CommandLine;
using System.Globalization;
using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn train</c>: trains a model on MNIST, CIFAR-10 or an image folder with a live progress bar per
/// epoch.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(inputs: ModelInputs.Datasets);
        var dataset = CommonOptions.Dataset();
        var epochs = new Option<int>("--epochs")
        {
            Description = "Passes over the training set",
            DefaultValueFactory = _ => 1,
        }.AtLeast(1);
        var batchSize = CommonOptions.BatchSize();
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "adam (lr 0.001), adadelta (lr 1.0) or sgd (lr 0.01, momentum 0.9)",
            DefaultValueFactory = _ => "adam",
        };
        optimizer.AcceptOnlyFromAmong("adam", "adadelta", "sgd");
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default: the optimizer's)" }.Positive();
        var momentum = new Option<float>("--momentum")
        {
            Description = "SGD momentum",
            DefaultValueFactory = _ => 0.9f,
        }.Must(v => v >= 0 && v < 1, "at least 0 and below 1");
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of initialisation, shuffling and dropout",
            DefaultValueFactory = _ => 0,
        };
        var device = CommonOptions.Device();
        var dataDir = CommonOptions.Data();
        var augment = new Option<bool>("--augment")
        {
            Description = "Augment the training images of cifar10 or folder as the standard CIFAR recipe does: pad " +
                "by 4 with zeros, crop a random window of the input size, flip half of them left to right (seeded)",
        };
        var limit = new Option<int?>("--limit-train") { Description = "Train on the first N images only" }.AtLeast(1);
        var earlyStopping = new Option<int?>("--early-stopping")
        {
            Description = "Stop after this many epochs without improvement of the monitored metric",
        }.AtLeast(1);
        var minDelta = new Option<double>("--min-delta")
        {
            Description = "The smallest change that counts as an improvement for early stopping",
            DefaultValueFactory = _ => 0,
        }.Must(v => v >= 0 && double.IsFinite(v), "at least 0 and finite");
        var monitor = new Option<string>("--monitor")
        {
            Description = "Metric watched by --checkpoint-best, --early-stopping and the plateau schedule",
            DefaultValueFactory = _ => "test_loss",
        };
        monitor.AcceptOnlyFromAmong([.. Enum.GetValues<Metric>().Select(m => m.Name())]);
        var schedule = new Option<string>("--lr-schedule")
        {
            Description = "none, step (x gamma every --lr-step-size epochs), cosine (to 0 over --epochs) or " +
                "plateau (x gamma after --lr-patience epochs without improvement)",
            DefaultValueFactory = _ => "none",
        };
        schedule.AcceptOnlyFromAmong("none", "step", "cosine", "plateau");
        var stepSize = new Option<int>("--lr-step-size")
        {
            Description = "Epochs between decays of the step schedule",
            DefaultValueFactory = _ => 1,
        }.AtLeast(1);
        var gamma = new Option<float>("--lr-gamma")
        {
            Description = "Decay factor of the step and plateau schedules",
            DefaultValueFactory = _ => 0.1f,
        }.Must(v => v > 0 && v < 1, "positive and below 1");
        var lrPatience = new Option<int>("--lr-patience")
        {
            Description = "Epochs without improvement before the plateau schedule decays",
            DefaultValueFactory = _ => 10,
        }.AtLeast(0);
        var clip = new Option<float?>("--clip-grad-norm")
        {
            Description = "Clip the total gradient L2 norm to this",
        }.Positive();
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue from a checkpoint written by train (--epochs counts the epochs it already did)",
        };

        var pretrained = new Option<string?>("--pretrained")
        {
            Description = "Start from this checkpoint's parameters, loading those whose name and shape match (a " +
                "replaced head keeps its fresh initialisation); prints what was loaded and skipped",
        };
        var regime = new Option<string?>("--regime")
        {
            Description = "With --pretrained: linear (train only the head), finetune-top (freeze the convolutions, " +
                "train the dense layers), finetune-all (train everything at 0.1 x the learning rate) or " +
                "from-pretrained (train everything at the normal rate; the default)",
        };
        regime.AcceptOnlyFromAmong([.. TransferRegimes.Names]);
        var freeze = new Option<string?>("--freeze")
        {
            Description = "Comma-separated node or parameter names to keep fixed, e.g. conv1,conv2 (on top of " +
                "--regime)",
        };
        var newHead = new Option<bool>("--new-head")
        {
            Description = "With --pretrained: do not load the head (last layer) even when its shape fits, as when " +
                "5 other classes replace 5 (a head of another size is never loaded)",
        };
        var classes = new Option<int?>("--classes")
        {
            Description = "Outputs of the classifier head (default: the number of --digits, else the dataset's " +
                "classes)",
        }.ClassCount();
        var digits = new Option<string?>("--digits")
        {
            Description = "Train and test on these MNIST digits only, e.g. 0-4, 5-9 or 1,3,7; labels become their " +
                "position in the list (5-9 -> 0..4)",
        };
        var prefetch = new Option<bool>("--prefetch")
        {
            Description = "Make the next batches on another thread while a step trains (--prefetch false: on the " +
                "training thread); the batches are the same",
            DefaultValueFactory = _ => true,
        };
        var outputs = new TrainOutputOptions();

        var command = new Command("train", "Train a model on MNIST, CIFAR-10 or an image folder")
        {
            model, dataset, epochs, batchSize, optimizer, lr, momentum, seed, device, dataDir, augment, limit,
            earlyStopping, minDelta, monitor, schedule, stepSize, gamma, lrPatience, clip, resume, pretrained, regime,
            freeze, newHead, classes, digits, prefetch,
        };
        outputs.AddTo(command);
        command.SetAction(parse => Run(new Settings(
            parse.GetValue(model)!, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(optimizer)!,
            parse.GetValue(lr), parse.GetValue(momentum), parse.GetValue(seed), parse.GetValue(device)!,
            parse.GetValue(dataDir), parse.GetValue(limit))
        {
            Outputs = outputs.Bind(parse),
            Dataset = parse.GetValue(dataset),
            Augment = parse.GetValue(augment),
            EarlyStopping = parse.GetValue(earlyStopping),
            MinDelta = parse.GetValue(minDelta),
            Monitor = MetricNames.Parse(parse.GetValue(monitor)!),
            Schedule = parse.GetValue(schedule)!,
            StepSize = parse.GetValue(stepSize),
            Gamma = parse.GetValue(gamma),
            LrPatience = parse.GetValue(lrPatience),
            ClipGradNorm = parse.GetValue(clip),
            Resume = parse.GetValue(resume),
            Pretrained = parse.GetValue(pretrained),
            Regime = parse.GetValue(regime),
            Freeze = parse.GetValue(freeze),
            NewHead = parse.GetValue(newHead),
            Classes = parse.GetValue(classes),
            Digits = parse.GetValue(digits),
            Prefetch = parse.GetValue(prefetch),
        }));
        return command;
    }

    private sealed record Settings(string Model, int Epochs, int BatchSize, string Optimizer, float? Lr, float Momentum,
        ulong Seed, string Device, string? DataDir, int? Limit)
    {
        public TrainOutputs Outputs { get; init; } = new(null, null, null, null, null, null);

        public string? Dataset { get; init; }

        public bool Augment { get; init; }

        public int? EarlyStopping { get; init; }

        public double MinDelta { get; init; }

        public Metric Monitor { get; init; } = Metric.TestLoss;

        public string Schedule { get; init; } = "none";

        public int StepSize { get; init; } = 1;

        public float Gamma { get; init; } = 0.1f;

        public int LrPatience { get; init; } = 10;

        public float? ClipGradNorm { get; init; }

        public string? Resume { get; init; }

        public string? Pretrained { get; init; }

        public string? Regime { get; init; }

        public string? Freeze { get; init; }

        public bool NewHead { get; init; }

        public int? Classes { get; init; }

        public string? Digits { get; init; }

        public bool Prefetch { get; init; } = true;
    }

    private static int Run(Settings s)
    {
        if (s.Pretrained is not null && s.Resume is not null)
        {
            Console.Error.WriteLine("--pretrained starts a new run and --resume continues one; pass only one.");
            return 2;
        }

        if ((s.Regime is not null || s.NewHead) && s.Pretrained is null)
        {
            Console.Error.WriteLine("--regime and --new-head need --pretrained: they say how to start from it.");
            return 2;
        }

        if (s.Pretrained is { } pretrainedPath && !File.Exists(pretrainedPath))
        {
            Console.Error.WriteLine($"--pretrained: no file at {pretrainedPath}.");
            return 2;
        }

        // A path that cannot be written would otherwise fail only when the first epoch ends.
        s.Outputs.Check();
        byte[]? digits = null;
        if (s.Digits is { } digitText)
        {
            try
            {
                digits = DigitList.Parse(digitText);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        }

        // Without --classes and --digits the head gets one output per class of the dataset, known once it is read.
        var classCount = s.Classes ?? digits?.Length;
        if (classCount < 2 || (digits is not null && classCount != digits.Length))
        {
            Console.Error.WriteLine($"--classes must be at least 2 and equal the number of --digits " +
                $"({digits?.Length.ToString(CultureInfo.InvariantCulture) ?? "all 10"}); got {classCount}.");
            return 2;
        }

        var c = CultureInfo.InvariantCulture;
        var seed = s.Seed;
        var dataset = s.Dataset;
        var augment = s.Augment;
        if (s.Resume is { } resumePath)
        {
            if (!File.Exists(resumePath))
            {
                Console.Error.WriteLine($"--resume: no file at {resumePath}.");
                return 2;
            }

            var saved = Checkpoint.ReadMetadata(resumePath);
            if (saved.TryGetValue("model", out var savedModel) && savedModel != s.Model)
            {
                Console.Error.WriteLine($"--resume: {resumePath} holds a {savedModel}, not a {s.Model}; " +
                    $"pass --model {savedModel}.");
                return 2;
            }

            // The data order follows the seed: resuming with another one would not continue the same run.
            if (saved.TryGetValue("seed", out var savedSeed) && ulong.Parse(savedSeed, c) != seed)
            {
                seed = ulong.Parse(savedSeed, c);
                Console.Error.WriteLine($"--resume: using the checkpoint's seed {seed} instead of {s.Seed}.");
            }

            if (saved.TryGetValue(TrainingData.DatasetKey, out var savedDataset))
            {
                if (dataset is not null && dataset != savedDataset)
                {
                    Console.Error.WriteLine($"--resume: {resumePath} was trained on {savedDataset}, not {dataset}; " +
                        $"pass --dataset {savedDataset}.");
                    return 2;
                }

                dataset = savedDataset;
            }

            // Augmenting or not is part of the run, as the seed is.
            var savedAugment = saved.TryGetValue(TrainingData.AugmentKey, out var augmentText) &&
                augmentText == "true";
            if (savedAugment != augment)
            {
                augment = savedAugment;
                Console.Error.WriteLine($"--resume: {(augment ? "augmenting" : "not augmenting")} the training " +
                    "images, as the checkpoint's run did.");
            }
        }

        dataset ??= TrainingData.DefaultFor(ModelZoo.InputShape(s.Model));
        s = s with { Seed = seed, Dataset = dataset, Augment = augment };
        if (!CheckDataset(s, digits))
        {
            return 2;
        }

        var data = TrainingData.Load(dataset, s.DataDir, ModelZoo.InputShape(s.Model), digits, withTrain: true,
            message => Console.Error.WriteLine(message));
        var classes = classCount ?? data.ClassCount;
        if (classes < Math.Max(2, data.ClassCount))
        {
            Console.Error.WriteLine($"{data.Title} has {data.ClassCount} classes but the head would have {classes} " +
                "outputs; a classifier needs at least 2, and one per class.");
            return 2;
        }

        var train = data.Train!;
        if (s.Limit is { } n)
        {
            train = train.Slice(0, Math.Min(n, train.Count));
            data = data with { Train = train };
        }

        using var accelerator = Devices.Open(s.Device);
        OptionChecks.BatchFits(s.Model, classes, s.BatchSize, accelerator);
        using var network = ModelZoo.Build(s.Model, accelerator, s.BatchSize, seed, classes: classes);
        var transfer = s.Regime is null ? TransferRegime.FromPretrained : TransferRegimes.Parse(s.Regime);
        if (!Prepare(s, network, transfer))
        {
            return 2;
        }

        using var optimizer = CreateOptimizer(s.Optimizer, s.Lr, s.Momentum, network);
        optimizer.LearningRate *= transfer.LearningRateScale();
        using var trainer = new Trainer(network, optimizer);
        var source = data.TrainSource(s.BatchSize, seed, s.Augment, s.Prefetch);
        var callbacks = CreateCallbacks(s, source.BatchCount);
        if (s.Outputs.Plot is { } plotPath)
        {
            callbacks.Add(new CurvesPlot(plotPath, string.Create(c,
                $"{s.Model} on {data.Title}: {optimizer.Name}, lr {optimizer.LearningRate}, batch {s.BatchSize}"),
                s.Optimizer, new LossRecorder(source.BatchCount)));
        }

        var loop = new FitLoop(trainer, source, data.TestSource(s.BatchSize), s.Epochs, callbacks)
        {
            InterruptCheckpointPath = s.Outputs.Checkpoint ?? "interrupted.safetensors",
        };
        loop.Metadata["model"] = s.Model;
        loop.Metadata["seed"] = seed.ToString(c);
        loop.Metadata[ModelZoo.ClassesKey] = classes.ToString(c);
        loop.Metadata[TrainingData.DatasetKey] = dataset;
        if (digits is not null)
        {
            loop.Metadata["digits"] = DigitList.Format(digits);
        }

        if (dataset == TrainingData.FolderName)
        {
            loop.Metadata[TrainingData.ClassNamesKey] = string.Join('/', data.Test.ClassNames);
        }

        if (s.Augment)
        {
            loop.Metadata[TrainingData.AugmentKey] = "true";
        }

        if (s.Resume is { } path)
        {
            loop.Resume(path);
            Console.WriteLine($"Resuming {path}: {loop.CompletedEpochs} epochs and {loop.StepInEpoch} steps done.");
        }

        Console.WriteLine(string.Create(c,
            $"{s.Model} ({network.ParameterCount:N0} parameters) on {accelerator.Name}; {optimizer.Name} " +
            $"lr {optimizer.LearningRate}, batch {s.BatchSize}, seed {seed}, {train.Count:N0} training images" +
            $"{(dataset == TrainingData.MnistName ? "" : $" of {data.Title}")}{(s.Augment ? ", augmented" : "")}"));

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
            {
                return; // a second Ctrl-C ends the process at once
            }

            e.Cancel = true;
            cancellation.Cancel();
            Console.Error.WriteLine("Stopping after this step and saving the state (Ctrl-C again to quit at once).");
        };
        Console.CancelKeyPress += onCancel;
        FitResult result;
        try
        {
            result = loop.Run(cancellation.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

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

    // Whether --digits and --augment suit the dataset and its images fit the model; prints why not.
    private static bool CheckDataset(Settings s, byte[]? digits)
    {
        if (digits is not null && s.Dataset != TrainingData.MnistName)
        {
            Console.Error.WriteLine($"--digits picks MNIST digits; it does not apply to --dataset {s.Dataset}.");
            return false;
        }

        if (s.Augment && s.Dataset == TrainingData.MnistName)
        {
            Console.Error.WriteLine("--augment (random crops and horizontal flips) is for cifar10 and folder; a " +
                "mirrored digit is not the same digit.");
            return false;
        }

        if (TrainingData.ShapeMismatch(s.Dataset!, s.Model) is { } message)
        {
            Console.Error.WriteLine(message);
            return false;
        }

        return true;
    }

    // Loads the pretrained parameters and freezes what the regime and --freeze say; false after an error.
    private static bool Prepare(Settings s, Network network, TransferRegime transfer)
    {
        if (s.Pretrained is { } path)
        {
            var report = Checkpoint.LoadMatching(path, network,
                s.NewHead ? [TransferRegimes.Head(network).Name] : null);
            Console.WriteLine($"Pretrained {path}:");
            foreach (var line in report.Describe())
            {
                Console.WriteLine("  " + line);
            }

            if (report.Loaded.Count == 0)
            {
                Console.Error.WriteLine($"--pretrained: nothing in {path} fits a {s.Model}; is it another model?");
                return false;
            }

            var frozen = transfer.Apply(network);
            Console.WriteLine($"Regime {transfer.Name()}: " + (frozen.Count == 0 ? "every layer trains"
                : $"frozen {string.Join(", ", frozen)}") + (transfer.LearningRateScale() != 1f
                ? string.Create(CultureInfo.InvariantCulture, $", learning rate x {transfer.LearningRateScale()}")
                : ""));
        }

        if (s.Freeze is { } text)
        {
            try
            {
                network.Freeze(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("--freeze: " + e.Message);
                return false;
            }
        }

        var frozenNames = network.Parameters().Where(p => !p.RequiresGrad).Select(p => p.Name).ToList();
        if (frozenNames.Count > 0)
        {
            Console.WriteLine($"Frozen parameters: {string.Join(", ", frozenNames)}; training " +
                $"{network.TrainableParameters().Sum(p => (long)p.Length):N0} of {network.ParameterCount:N0}.");
        }

        return true;
    }

    private static List<TrainingCallback> CreateCallbacks(Settings s, int batchCount)
    {
        var callbacks = new List<TrainingCallback>();
        if (s.ClipGradNorm is { } maxNorm)
        {
            callbacks.Add(new GradientClipping(maxNorm));
        }

        if (!Console.IsOutputRedirected)
        {
            callbacks.Add(new TrainingProgress(batchCount));
        }

        callbacks.Add(new EpochReport(s.Epochs, s.Outputs.MetricsJson, new Dictionary<string, object>
        {
            ["model"] = s.Model,
            ["optimizer"] = s.Optimizer,
            ["batch_size"] = s.BatchSize,
            ["seed"] = s.Seed,
            ["dataset"] = s.Dataset!,
            ["augment"] = s.Augment,
        }));
        switch (s.Schedule)
        {
            case "step":
                callbacks.Add(new StepLr(s.StepSize, s.Gamma));
                break;
            case "cosine":
                callbacks.Add(new CosineLr(s.Epochs));
                break;
            case "plateau":
                callbacks.Add(new ReduceLrOnPlateau(s.Monitor, s.Gamma, s.LrPatience));
                break;
        }

        if (s.EarlyStopping is { } patience)
        {
            callbacks.Add(new EarlyStopping(patience, s.MinDelta, s.Monitor));
        }

        if (s.Outputs.LogCsv is { } csv)
        {
            callbacks.Add(new CsvLog(csv, s.Outputs.LogStepsCsv));
        }
        else if (s.Outputs.LogStepsCsv is { } steps)
        {
            callbacks.Add(new CsvLog(Path.ChangeExtension(steps, ".epochs.csv"), steps));
        }

        if (s.Outputs.Checkpoint is { } path)
        {
            callbacks.Add(new EpochCheckpoint(path));
        }

        if (s.Outputs.CheckpointBest is { } best)
        {
            callbacks.Add(new BestCheckpoint(best, s.Monitor));
        }

        return callbacks;
    }

    /// <summary>Optimizer <paramref name="name"/> (adam, adadelta or sgd) over the network's parameters; a null
    /// <paramref name="lr"/> takes the optimizer's usual rate.</summary>
    internal static Optimizer CreateOptimizer(string name, float? lr, float momentum, Network network) => name switch
    {
        "adam" => new Adam(network.Parameters(), lr ?? 1e-3f),
        "adadelta" => new Adadelta(network.Parameters(), lr ?? 1f),
        _ => new Sgd(network.Parameters(), lr ?? 0.01f, momentum),
    };
}
