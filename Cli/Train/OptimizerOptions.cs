using System.CommandLine;
using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;

namespace GpuCnn.Cli.Train;

/// <summary>How <c>train</c> updates the parameters: <c>--optimizer</c>, <c>--lr</c>, <c>--momentum</c> and
/// <c>--clip-grad-norm</c>.</summary>
internal sealed class OptimizerOptions
{
    public OptimizerOptions() => Name.AcceptOnlyFromAmong("adam", "adadelta", "sgd");

    public Option<string> Name { get; } = new("--optimizer")
    {
        Description = "adam (lr 0.001), adadelta (lr 1.0) or sgd (lr 0.01, momentum 0.9)",
        DefaultValueFactory = _ => "adam",
    };

    public Option<float?> Lr { get; } =
        new Option<float?>("--lr") { Description = "Learning rate (default: the optimizer's)" }.Positive();

    public Option<float> Momentum { get; } = new Option<float>("--momentum")
    {
        Description = "SGD momentum",
        DefaultValueFactory = _ => 0.9f,
    }.Must(v => v >= 0 && v < 1, "at least 0 and below 1");

    public Option<float?> ClipGradNorm { get; } = new Option<float?>("--clip-grad-norm")
    {
        Description = "Clip the total gradient L2 norm to this",
    }.Positive();

    /// <summary>The values given on the command line.</summary>
    public OptimizerSettings Bind(ParseResult parse) => new(parse.GetValue(Name)!, parse.GetValue(Lr),
        parse.GetValue(Momentum), parse.GetValue(ClipGradNorm));
}

/// <summary>The optimizer's name, learning rate (null: its usual one), SGD momentum and the gradient clipping
/// norm (null: none).</summary>
internal sealed record OptimizerSettings(string Name, float? Lr, float Momentum, float? ClipGradNorm)
{
    /// <summary>This optimizer over the network's parameters.</summary>
    public Optimizer Create(Network network) => Create(Name, Lr, Momentum, network);

    /// <summary>Optimizer <paramref name="name"/> (adam, adadelta or sgd) over the network's parameters; a null
    /// <paramref name="lr"/> takes the optimizer's usual rate.</summary>
    public static Optimizer Create(string name, float? lr, float momentum, Network network) => name switch
    {
        "adam" => new Adam(network.Parameters(), lr ?? 1e-3f),
        "adadelta" => new Adadelta(network.Parameters(), lr ?? 1f),
        _ => new Sgd(network.Parameters(), lr ?? 0.01f, momentum),
    };
}
