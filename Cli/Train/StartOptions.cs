using System.CommandLine;
using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli.Train;

/// <summary>Where <c>train</c> starts from: <c>--resume</c> (continue a run) or <c>--pretrained</c> with
/// <c>--regime</c>, <c>--freeze</c> and <c>--new-head</c> (start a new run from another one's parameters).
/// </summary>
internal sealed class StartOptions
{
    public StartOptions() => Regime.AcceptOnlyFromAmong([.. TransferRegimes.Names]);

    public Option<string?> Resume { get; } = new("--resume")
    {
        HelpName = "PATH",
        Description = "Continue from a checkpoint written by train (--epochs counts the epochs it already did)",
    };

    public Option<string?> Pretrained { get; } = new("--pretrained")
    {
        HelpName = "PATH",
        Description = "Start from this checkpoint's parameters, loading those whose name and shape match (a " +
            "replaced head keeps its fresh initialisation); prints what was loaded and skipped",
    };

    public Option<string?> Regime { get; } = new("--regime")
    {
        HelpName = "REGIME",
        Description = "With --pretrained: linear (train only the head), finetune-top (freeze the convolutions, " +
            "train the dense layers), finetune-all (train everything at 0.1 x the learning rate) or " +
            "from-pretrained (train everything at the normal rate; the default)",
    };

    public Option<string?> Freeze { get; } = new("--freeze")
    {
        Description = "Comma-separated node or parameter names to keep fixed, e.g. conv1,conv2 (on top of " +
            "--regime)",
    };

    public Option<bool> NewHead { get; } = new("--new-head")
    {
        Description = "With --pretrained: do not load the head (last layer) even when its shape fits, as when " +
            "5 other classes replace 5 (a head of another size is never loaded)",
    };

    /// <summary>The values given on the command line.</summary>
    public StartSettings Bind(ParseResult parse) => new(parse.GetValue(Resume), parse.GetValue(Pretrained),
        parse.GetValue(Regime), parse.GetValue(Freeze), parse.GetValue(NewHead));
}

/// <summary>The checkpoint to resume, or the pretrained checkpoint and how to start from it; null where not
/// given.</summary>
internal sealed record StartSettings(string? Resume, string? Pretrained, string? Regime, string? Freeze,
    bool NewHead)
{
    /// <summary>The transfer regime, from-pretrained unless <c>--regime</c> names another.</summary>
    public TransferRegime Transfer => Regime is null ? TransferRegime.FromPretrained : TransferRegimes.Parse(Regime);

    /// <summary>Whether the options go together and the pretrained file exists; prints why not.</summary>
    public bool Consistent()
    {
        if (Pretrained is not null && Resume is not null)
        {
            Console.Error.WriteLine("--pretrained starts a new run and --resume continues one; pass only one.");
            return false;
        }

        if ((Regime is not null || NewHead) && Pretrained is null)
        {
            Console.Error.WriteLine("--regime and --new-head need --pretrained: they say how to start from it.");
            return false;
        }

        if (Pretrained is { } path && !File.Exists(path))
        {
            Console.Error.WriteLine($"--pretrained: no file at {path}.");
            return false;
        }

        return true;
    }

    /// <summary>Loads the pretrained parameters into <paramref name="network"/>, a <paramref name="model"/>, and
    /// freezes what the regime and <c>--freeze</c> say; false after printing an error.</summary>
    public bool Prepare(Network network, string model)
    {
        if (Pretrained is { } path && !LoadPretrained(path, network, model))
        {
            return false;
        }

        if (Freeze is { } text)
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

    private bool LoadPretrained(string path, Network network, string model)
    {
        var report = Checkpoint.LoadMatching(path, network, NewHead ? [TransferRegimes.Head(network).Name] : null);
        Console.WriteLine($"Pretrained {path}:");
        foreach (var line in report.Describe())
        {
            Console.WriteLine("  " + line);
        }

        if (report.Loaded.Count == 0)
        {
            Console.Error.WriteLine($"--pretrained: nothing in {path} fits a {model}; is it another model?");
            return false;
        }

        var transfer = Transfer;
        var frozen = transfer.Apply(network);
        Console.WriteLine($"Regime {transfer.Name()}: " + (frozen.Count == 0 ? "every layer trains"
            : $"frozen {string.Join(", ", frozen)}") + (transfer.LearningRateScale() != 1f
            ? string.Create(CultureInfo.InvariantCulture, $", learning rate x {transfer.LearningRateScale()}")
            : ""));
        return true;
    }
}
