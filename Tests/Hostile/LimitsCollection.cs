using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>
/// Tests that change a reader limit (ImageLimits.MaxPixels, SafeTensors.MaxHeaderBytes, CheckpointMetadata.MaxClasses)
/// or depend on its default, run one at a time so that a changed limit is never seen by another test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LimitsCollection
{
    public const string Name = "Reader limits";
}
