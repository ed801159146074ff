using System.Globalization;
using GpuCnn.Engine.Checkpoints;

namespace GpuCnn.Cli.Train;

/// <summary>What <c>--resume</c> takes from the checkpoint's metadata: a resumed run keeps the model, optimizer, seed,
/// dataset, augmentation and validation split of the run that wrote it.</summary>
internal static class Resume
{
    /// <summary><paramref name="s"/> with the seed, dataset and augmentation of the run saved at
    /// <paramref name="path"/>; null after printing why that run cannot be continued with these options.</summary>
    public static TrainSettings? From(string path, TrainSettings s)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"--resume: no file at {path}.");
            return null;
        }

        var saved = Checkpoint.ReadMetadata(path);
        if (saved.TryGetValue("model", out var savedModel) && savedModel != s.Model.Name)
        {
            Console.Error.WriteLine($"--resume: {path} holds a {savedModel}, not a {s.Model.Name}; " +
                $"pass --model {savedModel}.");
            return null;
        }

        var optimizer = Optimizer(path, saved, s.Optimizer);
        if (optimizer is null)
        {
            return null;
        }

        var seed = Seed(saved, s.Model.Seed);
        var dataset = s.Data.Dataset;
        if (saved.TryGetValue(TrainingData.DatasetKey, out var savedDataset))
        {
            if (dataset is not null && dataset != savedDataset)
            {
                Console.Error.WriteLine($"--resume: {path} was trained on {savedDataset}, not {dataset}; " +
                    $"pass --dataset {savedDataset}.");
                return null;
            }

            dataset = savedDataset;
        }

        return s with
        {
            Model = s.Model with { Seed = seed },
            Optimizer = optimizer,
            Data = s.Data with
            {
                Dataset = dataset,
                Augment = Augment(saved, s.Data.Augment),
                ValidationSplit = ValidationSplit(saved, s.Data.ValidationSplit),
            },
        };
    }

    // The images held out are part of the run too: another fraction would train on other images.
    private static double? ValidationSplit(Dictionary<string, string> saved, double? given)
    {
        double? split = saved.TryGetValue(DataSettings.ValidationSplitKey, out var text)
            ? double.Parse(text, CultureInfo.InvariantCulture)
            : null;
        if (split != given)
        {
            Console.Error.WriteLine(split is { } f
                ? $"--resume: holding out {f.ToString(CultureInfo.InvariantCulture)} of the training images for " +
                    "validation, as the checkpoint's run did."
                : "--resume: training on all the training images, as the checkpoint's run did (no " +
                    "--validation-split).");
        }

        return split;
    }

    // The optimizer's state only fits the same optimizer; a weight decay or momentum left out is the checkpoint's, as
    // PyTorch's load_state_dict restores them with the state.
    private static OptimizerSettings? Optimizer(string path, Dictionary<string, string> saved, OptimizerSettings given)
    {
        var name = OptimizerSettings.ClassName(given.Name);
        if (saved.TryGetValue("optimizer", out var savedName) && savedName != name)
        {
            var option = OptimizerSettings.Names.FirstOrDefault(n => OptimizerSettings.ClassName(n) == savedName);
            Console.Error.WriteLine($"--resume: {path} holds {savedName} optimizer state, not {name}" +
                (option is null ? "." : $"; pass --optimizer {option}."));
            return null;
        }

        return given with
        {
            WeightDecay = given.WeightDecay ?? Saved(saved, "weight_decay"),
            Momentum = given.Momentum ?? Saved(saved, "momentum"),
        };
    }

    private static float? Saved(Dictionary<string, string> saved, string key) =>
        saved.TryGetValue(Checkpoint.HyperparameterPrefix + key, out var text) &&
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    // The data order follows the seed: resuming with another one would not continue the same run.
    private static ulong Seed(Dictionary<string, string> saved, ulong given)
    {
        if (saved.TryGetValue("seed", out var text) && ulong.Parse(text, CultureInfo.InvariantCulture) is var seed &&
            seed != given)
        {
            Console.Error.WriteLine($"--resume: using the checkpoint's seed {seed} instead of {given}.");
            return seed;
        }

        return given;
    }

    // Augmenting or not is part of the run, as the seed is.
    private static bool Augment(Dictionary<string, string> saved, bool given)
    {
        var augment = saved.TryGetValue(TrainingData.AugmentKey, out var text) && text == "true";
        if (augment != given)
        {
            Console.Error.WriteLine($"--resume: {(augment ? "augmenting" : "not augmenting")} the training " +
                "images, as the checkpoint's run did.");
        }

        return augment;
    }
}
