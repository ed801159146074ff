namespace GpuCnn.Engine.Training;

/// <summary>Why a <see cref="FitLoop"/> stopped.</summary>
public enum FitOutcome
{
    /// <summary>Every epoch ran.</summary>
    Completed,

    /// <summary>A callback (early stopping) asked to stop.</summary>
    Stopped,

    /// <summary>Cancellation was requested; the state after the last finished step was saved.</summary>
    Interrupted,

    /// <summary>The loss became NaN or infinite; the step that produced it was not applied.</summary>
    Diverged,
}

/// <summary>
/// How a run ended: the outcome, where (epochs finished, and steps finished in the epoch in progress, 0 at an
/// epoch boundary), a message for people, and the checkpoint written on the way out or the last good one.
/// </summary>
public sealed record FitResult(FitOutcome Outcome, int Epoch, int Step, string Message, string? Checkpoint);
