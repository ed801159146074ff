namespace GpuCnn.Models;

/// <summary>Hands out the positional names of a PyTorch <c>nn.Sequential</c>: <c>features.0</c>,
/// <c>features.1</c>, ... one per layer, parameterless ones included, so indices match torchvision's.</summary>
internal sealed class Numbered(string prefix)
{
    private int next;

    /// <summary>The next index's name.</summary>
    public string Next() => $"{prefix}.{next++}";
}
