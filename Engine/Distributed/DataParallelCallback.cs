using GpuCnn.Engine.Training;

namespace GpuCnn.Engine.Distributed;

/// <summary>Keeps the ranks' copies of the model identical where training alone would not: rank 0's parameters
/// and running statistics go to every rank when the loop begins (after any resume), and rank 0's running statistics
/// before each evaluation, so that every rank evaluates, schedules and stops alike.</summary>
internal sealed class DataParallelCallback(DataParallel parallel) : TrainingCallback
{
    public override void OnFitBegin(FitLoop loop) => parallel.BroadcastParameters();

    public override void OnTrainPhaseEnd(FitLoop loop) => parallel.BroadcastStates();
}
