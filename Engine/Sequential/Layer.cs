using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine;

/// <summary>A layer description for <see cref="Sequential"/>; it adds its node to a graph when built. Each layer's
/// record sits in <c>Engine/Layers/&lt;Layer&gt;.cs</c> with its node and its <see cref="GraphBuilder"/> method.
/// </summary>
/// <remarks>A layer file holds two namespace blocks (nodes live in <c>GpuCnn.Engine.Nodes</c>, the builder and the
/// records in <c>GpuCnn.Engine</c>), the one place where a file-scoped namespace cannot express the layout.
/// </remarks>
public abstract record Layer
{
    /// <summary>Adds this layer's node after <paramref name="x"/> under <paramref name="name"/>.</summary>
    public abstract Node Apply(GraphBuilder g, Node x, string name);
}
