using System.Globalization;

namespace GpuCnn.Engine.Training;

/// <summary>
/// Hooks into a <see cref="FitLoop"/>. Every hook does nothing unless overridden. Callbacks run in the order
/// given, except that <see cref="CheckpointCallback"/>s run after all others at the end of an epoch, so that a
/// file holds the schedules and counters already updated for that epoch.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>Once, before the first epoch this loop runs (after any resume).</summary>
    public virtual void OnFitBegin(FitLoop loop)
    {
    }

    /// <summary>Before the first step of an epoch (or the first step after a resume inside one).</summary>
    public virtual void OnEpochBegin(FitLoop loop)
    {
    }

    /// <summary>Gradients are computed and the loss is finite; the optimizer has not stepped yet.</summary>
    public virtual void OnAfterBackward(FitLoop loop)
    {
    }

    /// <summary>After the optimizer's update.</summary>
    public virtual void OnStepEnd(FitLoop loop, StepResult step)
    {
    }

    /// <summary>After the epoch's last step, before evaluation.</summary>
    public virtual void OnTrainPhaseEnd(FitLoop loop)
    {
    }

    /// <summary>After evaluation, with the epoch's metrics (already in <see cref="FitLoop.History"/>).</summary>
    public virtual void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
    }

    /// <summary>After the loop wrote a checkpoint to <paramref name="path"/> (at the end of an epoch, for the best
    /// epoch, or on interruption).</summary>
    public virtual void OnCheckpointSaved(FitLoop loop, string path)
    {
    }

    /// <summary>Once, when the loop stops for any reason.</summary>
    public virtual void OnFitEnd(FitLoop loop, FitResult result)
    {
    }

    /// <summary>Writes what a resumed run needs into checkpoint metadata, under keys unique to the callback.</summary>
    public virtual void SaveState(IDictionary<string, string> metadata)
    {
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote; keys may be absent (an older file).</summary>
    public virtual void LoadState(IReadOnlyDictionary<string, string> metadata)
    {
    }

    /// <summary>A double as text that parses back to the same bits.</summary>
    protected static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parses what <see cref="Format(double)"/> wrote.</summary>
    protected static double ParseDouble(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
