namespace GpuCnn.Engine.Training;

/// <summary>
/// The four ways to reuse a trained network, chosen by how much new data there is and how much it resembles the
/// data the network was trained on. Every regime starts from the pretrained weights (with a new head when the class
/// count changed); they differ in what trains and how fast.
/// </summary>
public enum TransferRegime
{
    /// <summary>Little data, similar to the original: a linear classifier on frozen features — only the head (the
    /// last layer with parameters) trains.</summary>
    Linear,

    /// <summary>Little data, different from the original: the convolutions stay frozen and the dense layers train,
    /// so the classifier is rebuilt on the convolutional features.</summary>
    FinetuneTop,

    /// <summary>Much data, similar: everything trains, at a tenth of the learning rate
    /// (<see cref="TransferRegimes.LearningRateScale"/>) so that the pretrained features are adjusted, not
    /// overwritten.</summary>
    FinetuneAll,

    /// <summary>Much data, different: everything trains at the normal rate; the pretrained weights are only a better
    /// start than random ones.</summary>
    FromPretrained,
}

/// <summary>Applies a <see cref="TransferRegime"/> to a network.</summary>
public static class TransferRegimes
{
    /// <summary>The command-line spellings, in the enum's order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["linear", "finetune-top", "finetune-all", "from-pretrained"];

    /// <summary>Parses one of <see cref="Names"/>.</summary>
    public static TransferRegime Parse(string name)
    {
        var index = Names.ToList().IndexOf(name.ToLowerInvariant());
        return index >= 0 ? (TransferRegime)index
            : throw new ArgumentException($"Unknown regime '{name}'; use {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>The spelling of <paramref name="regime"/> in <see cref="Names"/>.</summary>
    public static string Name(this TransferRegime regime) => Names[(int)regime];

    /// <summary>The factor applied to the optimizer's learning rate: 0.1 for <see cref="TransferRegime.FinetuneAll"/>,
    /// 1 otherwise.</summary>
    public static float LearningRateScale(this TransferRegime regime) =>
        regime == TransferRegime.FinetuneAll ? 0.1f : 1f;

    /// <summary>The head: the last node in the schedule that has parameters (<c>fc3</c> in LeNet-5).</summary>
    public static Node Head(Network network) => network.Nodes.LastOrDefault(n => n.Parameters.Count > 0) ??
        throw new ArgumentException("The network has no parameters, so it has no head to train.", nameof(network));

    /// <summary>
    /// Unfreezes everything, then freezes what <paramref name="regime"/> keeps fixed; returns the names of the nodes
    /// that stay frozen.
    /// </summary>
    public static IReadOnlyList<string> Apply(this TransferRegime regime, Network network)
    {
        network.Unfreeze();
        var frozen = regime switch
        {
            TransferRegime.Linear => network.Nodes.Where(n => n.Parameters.Count > 0 && n != Head(network)),
            TransferRegime.FinetuneTop => network.Nodes.Where(n => n.Parameters.Count > 0 && n.Kind == "Conv2d"),
            _ => [],
        };
        var names = frozen.Select(n => n.Name).ToList();
        if (names.Count > 0)
        {
            network.Freeze([.. names]);
        }

        return names;
    }
}
