using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// Range checks for numeric options, added to an option as a parse-time validator, so a bad value is refused before
/// any data is read: "--lr-gamma must be positive and below 1, got -1". Also the wording of the parser's own
/// errors, which would otherwise name .NET types, and the check of a batch size against the device's memory.
/// </summary>
internal static partial class OptionChecks
{
    /// <summary>Refuses values of <paramref name="option"/> that fail <paramref name="ok"/>; the message says the
    /// option "must be <paramref name="rule"/>, got VALUE".</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, bool> ok, string rule)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (Value<T?>(result) is { } value)
            {
                Check(result, value, ok, rule);
            }
        });
        return option;
    }

    /// <summary>As <see cref="Must{T}(Option{T}, Func{T, bool}, string)"/> for an option that may be left out.
    /// </summary>
    public static Option<T?> Must<T>(this Option<T?> option, Func<T, bool> ok, string rule)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (Value<T?>(result) is { } value)
            {
                Check(result, value, ok, rule);
            }
        });
        return option;
    }

    /// <summary>At least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int min) =>
        option.Must(v => v >= min, $"at least {min}");

    /// <summary>At least <paramref name="min"/> when given.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int min) =>
        option.Must(v => v >= min, $"at least {min}");

    /// <summary>Greater than 0 and finite when given.</summary>
    public static Option<float?> Positive(this Option<float?> option) =>
        option.Must(v => v > 0 && float.IsFinite(v), "positive and finite");

    /// <summary>A class count for a classifier head: 2 to <see cref="CheckpointMetadata.MaxClasses"/>, the most a
    /// checkpoint may hold.</summary>
    public static Option<int?> ClassCount(this Option<int?> option) =>
        option.Must(v => v >= 2 && v <= CheckpointMetadata.MaxClasses,
            $"between 2 and {CheckpointMetadata.MaxClasses} (CheckpointMetadata.MaxClasses)");

    // The value, or nothing when the text is not a number at all: the parser reports that error by itself.
    private static T? Value<T>(OptionResult result)
    {
        try
        {
            return result.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    // The message names the option as it was typed: an alias (--batch) or its name (--batch-size).
    private static void Check<T>(OptionResult result, T value, Func<T, bool> ok, string rule)
        where T : struct, INumber<T>
    {
        if (!ok(value))
        {
            var name = result.IdentifierToken?.Value ?? result.Option.Name;
            result.AddError($"{name} must be {rule}, got {value.ToString(null, CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>
    /// Refuses a <paramref name="batch"/> whose training step of <paramref name="model"/> needs more memory than
    /// <paramref name="accelerator"/> has, by the summary's estimate (<c>gpucnn summary MODEL --batch-size N</c>),
    /// before anything is allocated or trained.
    /// </summary>
    public static void BatchFits(string model, int? classes, int batch, Accelerator accelerator)
    {
        var needed = ModelZoo.Summary(model, classes).TrainingStepBytes(batch);
        if (needed > accelerator.MemoryBytes)
        {
            throw new OptionException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {batch}: a training step of {model} needs about {needed >> 20:N0} MiB (see 'gpucnn " +
                $"summary {model} --batch-size {batch}'), more than the {accelerator.MemoryBytes >> 20:N0} MiB of " +
                $"{accelerator.Name}; use a smaller batch."));
        }
    }

    /// <summary>The parser's error in words a user knows: a value that is not a number says so, naming the option
    /// and the value, instead of naming a .NET type.</summary>
    public static string Describe(ParseError error)
    {
        var match = CannotParse().Match(error.Message);
        if (!match.Success)
        {
            return error.Message;
        }

        var type = match.Groups["type"].Value;
        var kind = type.Contains("UInt64", StringComparison.Ordinal)
            ? $"a whole number from 0 to {ulong.MaxValue}"
            : type.Contains("Int32", StringComparison.Ordinal)
                ? $"a whole number from {int.MinValue} to {int.MaxValue}"
                : type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal)
                    ? "a number"
                    : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false" : "a valid value";
        return $"{match.Groups["option"].Value} must be {kind}, got '{match.Groups["value"].Value}'.";
    }

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type " +
        "'(?<type>[^']*)'")]
    private static partial Regex CannotParse();
}
