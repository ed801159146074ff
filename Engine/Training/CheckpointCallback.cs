namespace GpuCnn.Engine.Training;

/// <summary>A callback that writes checkpoints: it runs after every other callback at the end of an epoch.</summary>
public abstract class CheckpointCallback : TrainingCallback
{
}

