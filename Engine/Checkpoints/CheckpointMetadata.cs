using System.Globalization;

namespace GpuCnn.Engine.Checkpoints;

/// <summary>
/// Checks the metadata entries a checkpoint's readers parse (<c>classes</c>, <c>epoch</c>, <c>learning_rate</c>,
/// <c>seed</c>, the fit loop's and the callbacks' counters ...) as the file is read, so that a hand-edited or corrupt
/// value is one error naming the file and the key instead of a parse failure deep in a later step. Keys not listed
/// here are free-form strings.
/// </summary>
public static class CheckpointMetadata
{
    private static int maxClasses = 100_000;

    private enum Kind
    {
        Count,
        Long,
        Seed,
        Rate,
        Real,
        Classes,
        Digits,
        Fraction,
    }

    private static readonly Dictionary<string, Kind> Kinds = new(StringComparer.Ordinal)
    {
        ["network_seed"] = Kind.Seed,
        ["network_training_steps"] = Kind.Seed,
        ["seed"] = Kind.Seed,
        ["optimizer_step"] = Kind.Count,
        ["epoch"] = Kind.Count,
        ["learning_rate"] = Kind.Rate,
        ["optimizer.weight_decay"] = Kind.Rate,
        ["optimizer.momentum"] = Kind.Rate,
        ["classes"] = Kind.Classes,
        ["digits"] = Kind.Digits,
        ["fit.epochs"] = Kind.Count,
        ["fit.step_in_epoch"] = Kind.Count,
        ["fit.global_step"] = Kind.Long,
        ["fit.epoch_loss_sum"] = Kind.Real,
        ["fit.epoch_seen"] = Kind.Long,
        ["fit.epoch_correct"] = Kind.Long,
        ["early_stopping.best"] = Kind.Real,
        ["early_stopping.wait"] = Kind.Count,
        ["lr_plateau.best"] = Kind.Real,
        ["lr_plateau.bad_epochs"] = Kind.Count,
        ["lr_plateau.cooldown"] = Kind.Count,
        ["lr_schedule.base_lr"] = Kind.Rate,
        ["best_checkpoint.best"] = Kind.Real,
        ["validation_split"] = Kind.Fraction,
    };

    /// <summary>
    /// The largest <c>classes</c> entry accepted (100,000 unless set; ImageNet-21k has 21,841): a head that size is
    /// already hundreds of megabytes for a wide last layer, and a larger count is a corrupt file. At least 2.
    /// </summary>
    public static int MaxClasses
    {
        get => Volatile.Read(ref maxClasses);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            Volatile.Write(ref maxClasses, value);
        }
    }

    /// <summary>Checks every known entry of <paramref name="metadata"/>, read from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">An entry is not of its type or out of its range, or
    /// <c>optimizer_step</c> is missing beside <c>optimizer</c>; the message names the file, the key and the value.
    /// </exception>
    public static void Validate(string path, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (key, value) in metadata)
        {
            if (Kinds.TryGetValue(key, out var kind) && Problem(kind, value) is { } problem)
            {
                throw new InvalidDataException(
                    $"{path}: metadata '{key}' is \"{Clip(value)}\"; it must be {problem}.");
            }
        }

        if (metadata.ContainsKey("optimizer") && !metadata.ContainsKey("optimizer_step"))
        {
            throw new InvalidDataException(
                $"{path}: metadata 'optimizer' is present but 'optimizer_step' is missing; the optimizer state " +
                "cannot be resumed without its step count.");
        }
    }

    private static string? Problem(Kind kind, string text)
    {
        var c = CultureInfo.InvariantCulture;
        return kind switch
        {
            Kind.Count => int.TryParse(text, NumberStyles.None, c, out _) ? null
                : $"a whole number from 0 to {int.MaxValue}",
            Kind.Long => long.TryParse(text, NumberStyles.None, c, out _) ? null
                : $"a whole number from 0 to {long.MaxValue}",
            Kind.Seed => ulong.TryParse(text, NumberStyles.None, c, out _) ? null
                : $"a whole number from 0 to {ulong.MaxValue}",
            Kind.Rate => float.TryParse(text, NumberStyles.Float, c, out var rate) && float.IsFinite(rate) &&
                rate >= 0 ? null : "a finite number of at least 0",
            Kind.Real => double.TryParse(text, NumberStyles.Float, c, out _) ? null : "a number",
            Kind.Fraction => double.TryParse(text, NumberStyles.Float, c, out var f) && f > 0 && f < 1 ? null
                : "a number between 0 and 1, both excluded",
            Kind.Classes => int.TryParse(text, NumberStyles.None, c, out var n) && n >= 2 && n <= MaxClasses ? null
                : $"a class count from 2 to {MaxClasses} (CheckpointMetadata.MaxClasses)",
            _ => IsDigitList(text) ? null : "at least 2 distinct digits 0-9 or ranges such as 5-9, comma-separated",
        };
    }

    // The form train writes for --digits ("5,6,7,8,9"), or ranges as --digits takes them.
    private static bool IsDigitList(string text)
    {
        var seen = new HashSet<char>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length > 2 || bounds.Any(b => b.Length != 1 || !char.IsAsciiDigit(b[0])) ||
                bounds[^1][0] < bounds[0][0])
            {
                return false;
            }

            for (var d = bounds[0][0]; d <= bounds[^1][0]; d++)
            {
                if (!seen.Add(d))
                {
                    return false;
                }
            }
        }

        return seen.Count >= 2;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
