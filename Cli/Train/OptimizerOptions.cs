using System.CommandLine;
using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;

namespace GpuCnn.Cli.Train;

/// <summary>How <c>train</c> updates the parameters: <c>--optimizer</c>, <c>--lr</c>, <c>--momentum</c>,
/// <c>--weight-decay</c> and <c>--clip-grad-norm</c>.</summary>
internal sealed class OptimizerOptions
{
    public OptimizerOptions() => Name.AcceptOnlyFromAmong(OptimizerSettings.Names);

    public Option<string> Name { get; } = new("--optimizer")
    {
        Description = "adam (lr 0.001), adamw (lr 0.001, weight decay 0.01), adadelta (lr 1.0), sgd (lr 0.01, " +
            "momentum 0.9) or rmsprop (lr 0.01, alpha 0.99): PyTorch's rules and defaults",
        DefaultValueFactory = _ => "adam",
    };

    public Option<float?> Lr { get; } =
        new Option<float?>("--lr") { Description = "Learning rate (default: the optimizer's)" }.Positive();

    public Option<float?> Momentum { get; } = new Option<float?>("--momentum")
    {
        Description = "Momentum of sgd (default 0.9) or rmsprop (default 0)",
    }.Must(v => v >= 0 && v < 1, "at least 0 and below 1");

    public Option<float?> WeightDecay { get; } = new Option<float?>("--weight-decay")
    {
        Description = "Weight decay: adamw's decoupled decay (default 0.01), an L2 penalty added to the gradient " +
            "for the others (default 0)",
    }.Must(v => v >= 0 && float.IsFinite(v), "finite and at least 0");

    public Option<float?> ClipGradNorm { get; } = new Option<float?>("--clip-grad-norm")
    {
        Description = "Clip the total gradient L2 norm to this",
    }.Positive();

    /// <summary>The values given on the command line.</summary>
    public OptimizerSettings Bind(ParseResult parse) => new(parse.GetValue(Name)!, parse.GetValue(Lr),
        parse.GetValue(Momentum), parse.GetValue(WeightDecay), parse.GetValue(ClipGradNorm));
}

/// <summary>The optimizer's name, learning rate (null: its usual one), momentum of SGD or RMSprop (null: the
/// optimizer's), weight decay (null: the optimizer's, 0.01 for AdamW and 0 for the others) and the gradient clipping
/// norm (null: none).</summary>
internal sealed record OptimizerSettings(string Name, float? Lr, float? Momentum, float? WeightDecay,
    float? ClipGradNorm)
{
    /// <summary>The names <c>--optimizer</c> takes.</summary>
    public static readonly string[] Names = ["adam", "adamw", "adadelta", "sgd", "rmsprop"];

    /// <summary>This optimizer over the network's parameters.</summary>
    public Optimizer Create(Network network) => Create(Name, Lr, Momentum, network, WeightDecay);

    /// <summary>Optimizer <paramref name="name"/> (one of <see cref="Names"/>) over the network's parameters, with
    /// PyTorch's defaults for what is null, but SGD's momentum 0.9 and learning rate 0.01.</summary>
    public static Optimizer Create(string name, float? lr, float? momentum, Network network,
        float? weightDecay = null)
    {
        var p = network.Parameters();
        return name switch
        {
            "adam" => new Adam(p, lr ?? 1e-3f, weightDecay: weightDecay ?? 0f),
            "adamw" => new AdamW(p, lr ?? 1e-3f, weightDecay: weightDecay ?? 0.01f),
            "adadelta" => new Adadelta(p, lr ?? 1f, weightDecay: weightDecay ?? 0f),
            "rmsprop" => new RmsProp(p, lr ?? 1e-2f, weightDecay: weightDecay ?? 0f, momentum: momentum ?? 0f),
            _ => new Sgd(p, lr ?? 0.01f, momentum ?? 0.9f, weightDecay: weightDecay ?? 0f),
        };
    }

    /// <summary>PyTorch's class name of optimizer <paramref name="name"/>, as a checkpoint records it.</summary>
    public static string ClassName(string name) => name switch
    {
        "adam" => "Adam",
        "adamw" => "AdamW",
        "adadelta" => "Adadelta",
        "rmsprop" => "RMSprop",
        _ => "SGD",
    };

    /// <summary>"AdamW lr 0.001, weight decay 0.01": the name, the learning rate and a weight decay that is not 0.
    /// </summary>
    public static string Describe(Optimizer optimizer) => string.Create(CultureInfo.InvariantCulture,
        $"{optimizer.Name} lr {optimizer.LearningRate}") +
        (optimizer.Hyperparameters.TryGetValue("weight_decay", out var decay) && decay != "0"
            ? $", weight decay {decay}" : "");
}
