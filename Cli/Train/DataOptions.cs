using System.CommandLine;
using GpuCnn.Models;

namespace GpuCnn.Cli.Train;

/// <summary>What <c>train</c> reads and how it batches it: <c>--dataset</c>, <c>--data</c>, <c>--batch-size</c>,
/// <c>--augment</c>, <c>--limit-train</c>, <c>--digits</c>, <c>--prefetch</c> and <c>--validation-split</c>.</summary>
internal sealed class DataOptions
{
    public Option<string?> Dataset { get; } = CommonOptions.Dataset();

    public Option<int> BatchSize { get; } = CommonOptions.BatchSize();

    public Option<string?> Folder { get; } = CommonOptions.Data();

    public Option<bool> Augment { get; } = new("--augment")
    {
        Description = "Augment the training images of cifar10 or folder as the standard CIFAR recipe does: pad " +
            "by 4 with zeros, crop a random window of the input size, flip half of them left to right (seeded)",
    };

    public Option<int?> Limit { get; } =
        new Option<int?>("--limit-train") { Description = "Train on the first N images only" }.AtLeast(1);

    public Option<string?> Digits { get; } = new("--digits")
    {
        Description = "Train and test on these MNIST digits only, e.g. 0-4, 5-9 or 1,3,7; labels become their " +
            "position in the list (5-9 -> 0..4)",
    };

    public Option<bool> Prefetch { get; } = new("--prefetch")
    {
        Description = "Make the next batches on another thread while a step trains (--prefetch false: on the " +
            "training thread); the batches are the same",
        DefaultValueFactory = _ => true,
    };

    public Option<double?> ValidationSplit { get; } = new Option<double?>("--validation-split")
    {
        Description = "Hold this fraction of the training images out (a random choice fixed by --seed) and report " +
            "val_loss and val_accuracy after each epoch, which --monitor can watch",
    }.Must(v => v > 0 && v < 1, "between 0 and 1 (exclusive)");

    /// <summary>The values given on the command line.</summary>
    public DataSettings Bind(ParseResult parse) => new(parse.GetValue(Dataset), parse.GetValue(Folder),
        parse.GetValue(BatchSize), parse.GetValue(Augment), parse.GetValue(Limit), parse.GetValue(Digits),
        parse.GetValue(Prefetch), parse.GetValue(ValidationSplit));
}

/// <summary>The dataset (null: the checkpoint's or the model's default), its folder, the batch size, how the
/// training images are chosen and fed, and the fraction of them held out for validation (null: none).</summary>
internal sealed record DataSettings(string? Dataset, string? Folder, int BatchSize, bool Augment, int? Limit,
    string? Digits, bool Prefetch, double? ValidationSplit = null)
{
    /// <summary>The checkpoint metadata entry holding <c>--validation-split</c>, which a resumed run keeps.</summary>
    public const string ValidationSplitKey = "validation_split";

    /// <summary>The digits of <c>--digits</c>, or null when not given; false (after printing why) when the list
    /// cannot be read.</summary>
    public bool TryParseDigits(out byte[]? digits)
    {
        digits = null;
        if (Digits is not { } text)
        {
            return true;
        }

        try
        {
            digits = DigitList.Parse(text);
            return true;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return false;
        }
    }

    /// <summary>Whether <c>--digits</c> and <c>--augment</c> suit the dataset, now chosen, and its images fit
    /// <paramref name="model"/>; prints why not.</summary>
    public bool Suits(string model, byte[]? digits)
    {
        if (digits is not null && Dataset != TrainingData.MnistName)
        {
            Console.Error.WriteLine($"--digits picks MNIST digits; it does not apply to --dataset {Dataset}.");
            return false;
        }

        if (Augment && Dataset == TrainingData.MnistName)
        {
            Console.Error.WriteLine("--augment (random crops and horizontal flips) is for cifar10 and folder; a " +
                "mirrored digit is not the same digit.");
            return false;
        }

        if (TrainingData.ShapeMismatch(Dataset!, model) is { } message)
        {
            Console.Error.WriteLine(message);
            return false;
        }

        return true;
    }

    /// <summary>The dataset chosen for <paramref name="model"/> when none is given: the one its input fits.
    /// </summary>
    public DataSettings WithDefaultDataset(string model) =>
        this with { Dataset = Dataset ?? TrainingData.DefaultFor(ModelZoo.InputShape(model)) };
}
