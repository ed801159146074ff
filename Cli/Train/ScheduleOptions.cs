using System.CommandLine;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;

namespace GpuCnn.Cli.Train;

/// <summary>How long <c>train</c> runs and how its learning rate changes: <c>--epochs</c>, <c>--lr-schedule</c>,
/// <c>--lr-step-size</c>, <c>--lr-gamma</c> and <c>--lr-patience</c>.</summary>
internal sealed class ScheduleOptions
{
    public ScheduleOptions() => Name.AcceptOnlyFromAmong("none", "step", "cosine", "plateau");

    public Option<int> Epochs { get; } = new Option<int>("--epochs")
    {
        Description = "Passes over the training set",
        DefaultValueFactory = _ => 1,
    }.AtLeast(1);

    public Option<string> Name { get; } = new("--lr-schedule")
    {
        Description = "none, step (x gamma every --lr-step-size epochs), cosine (to 0 over --epochs) or " +
            "plateau (x gamma after --lr-patience epochs without improvement)",
        DefaultValueFactory = _ => "none",
    };

    public Option<int> StepSize { get; } = new Option<int>("--lr-step-size")
    {
        Description = "Epochs between decays of the step schedule",
        DefaultValueFactory = _ => 1,
    }.AtLeast(1);

    public Option<float> Gamma { get; } = new Option<float>("--lr-gamma")
    {
        Description = "Decay factor of the step and plateau schedules",
        DefaultValueFactory = _ => 0.1f,
    }.Must(v => v > 0 && v < 1, "positive and below 1");

    public Option<int> Patience { get; } = new Option<int>("--lr-patience")
    {
        Description = "Epochs without improvement before the plateau schedule decays",
        DefaultValueFactory = _ => 10,
    }.AtLeast(0);

    /// <summary>The values given on the command line.</summary>
    public ScheduleSettings Bind(ParseResult parse) => new(parse.GetValue(Epochs), parse.GetValue(Name)!,
        parse.GetValue(StepSize), parse.GetValue(Gamma), parse.GetValue(Patience));
}

/// <summary>The epochs to train (counting those a resumed run did) and the learning-rate schedule.</summary>
internal sealed record ScheduleSettings(int Epochs, string Name, int StepSize, float Gamma, int Patience)
{
    /// <summary>The schedule's callback, or null for none; the plateau schedule watches
    /// <paramref name="monitor"/>.</summary>
    public TrainingCallback? Callback(Metric monitor) => Name switch
    {
        "step" => new StepLr(StepSize, Gamma),
        "cosine" => new CosineLr(Epochs),
        "plateau" => new ReduceLrOnPlateau(monitor, Gamma, Patience),
        _ => null,
    };
}
