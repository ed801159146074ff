using GpuCnn.Tests.Reference;

namespace GpuCnn.Tests.Ops;

/// <summary>Inputs of the layer gradient checks (count -> values).</summary>
internal static class LayerData
{
    public static float[] Smooth(int count) => RandomTensors.Uniform(count, 1);

    /// <summary>0.05 apart, so a step of 0.01 never changes a window's maximum.</summary>
    public static float[] Distinct(int count) => RandomTensors.Distinct(count, 1, 0.05f);

    /// <summary>Clear of ReLU's kink at 0 by more than the step.</summary>
    public static float[] AwayFromZero(int count) => RandomTensors.AwayFromZero(count, 1, 0.05f);
}
