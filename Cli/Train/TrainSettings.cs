namespace GpuCnn.Cli.Train;

/// <summary>Everything a <c>train</c> command line says, one record per option group.</summary>
internal sealed record TrainSettings(ModelSettings Model, DataSettings Data, OptimizerSettings Optimizer,
    ScheduleSettings Schedule, StoppingSettings Stopping, OutputSettings Outputs, StartSettings Start);
