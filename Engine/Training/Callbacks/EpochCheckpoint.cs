namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>Saves the whole training state to one file at the end of every epoch, replacing it atomically.</summary>
public sealed class EpochCheckpoint(string path) : CheckpointCallback
{
    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics) => loop.SaveCheckpoint(Path);
}
