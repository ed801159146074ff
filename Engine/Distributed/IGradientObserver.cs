namespace GpuCnn.Engine.Distributed;

/// <summary>Told by <see cref="Network.Backward"/> when a node's backward has run, so that its parameters'
/// gradients are final for this step.</summary>
internal interface IGradientObserver
{
    void GradientsReady(Node node);
}
