using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine;

// Evaluation-mode fusion: a convolution whose only reader is a batch norm (whose only reader may be a ReLU) runs as
// one fused kernel writing the last node's output; the nodes in between are
// skipped. Their outputs are computed again, unfused, when something asks for them (OutputOf, Backward), so a
// caller never sees a stale intermediate. Nothing is cached: the batch norm's scale is formed from the running
// statistics at every pass, so new parameters or statistics (an optimizer step, a checkpoint) take effect at once.
public sealed partial class Network
{
    private FusedGroup?[]? fusedGroups;
    private bool[]? skipped;
    private bool[]? stale;
    private bool lastForwardFused;

    /// <summary>
    /// Whether evaluation-mode forward passes fuse each convolution with the batch norm and ReLU that follow it
    /// (on by default). The outputs are the same as unfused; the fused-away nodes' own outputs are computed on
    /// demand when <see cref="OutputOf"/> or backward asks for them.
    /// </summary>
    public bool FuseInference { get; set; } = true;

    /// <summary>The fused groups, by the name of their convolution and the last node they write (for tests).
    /// </summary>
    internal IReadOnlyList<(string Conv, string Last)> FusedGroups()
    {
        PlanFusion();
        return fusedGroups!.OfType<FusedGroup>().Select(f => (f.Conv.Name, f.Last.Name)).ToList();
    }

    // Runs the fused forward pass when the mode allows one; false leaves the pass to the plain schedule.
    private bool ForwardFused()
    {
        lastForwardFused = false;
        if (IsTraining || !FuseInference)
        {
            return false;
        }

        PlanFusion();
        for (var i = 1; i < schedule.Count; i++)
        {
            if (skipped![i])
            {
                continue;
            }

            var start = forwardTicks is null ? 0 : Timestamp();
            if (fusedGroups![i] is { } group)
            {
                RunFused(group);
            }
            else
            {
                schedule[i].Forward(context);
            }

            if (forwardTicks is not null)
            {
                forwardTicks[i] += Timestamp() - start;
            }
        }

        lastForwardFused = true;
        return true;
    }

    // After a fused pass, the plain pass again (same batch, evaluation mode) so that every node holds its output.
    private void MaterializeFused()
    {
        if (!lastForwardFused)
        {
            return;
        }

        lastForwardFused = false;
        for (var i = 1; i < schedule.Count; i++)
        {
            schedule[i].Forward(context);
        }
    }

    // The node's output is current: computed again if the last pass fused it away.
    private Node Materialized(Node node)
    {
        if (lastForwardFused && stale![node.Index])
        {
            MaterializeFused();
        }

        return node;
    }

    private void RunFused(FusedGroup group)
    {
        var conv = group.Conv;
        var g = conv.Geometry with { N = context.Batch };
        InferenceBatchNorm? norm = null;
        if (group.Norm is { } bn)
        {
            norm = new InferenceBatchNorm(bn.Affine ? bn.Parameters[0].Value : null,
                bn.Affine ? bn.Parameters[1].Value : null, bn.States[0].Value, bn.States[1].Value, bn.Eps);
        }

        Accelerator.Conv2dForwardNormalized(g, conv.Inputs[0].Output, conv.Parameters[0].Value,
            conv.HasBias ? conv.Parameters[1].Value : null, norm, group.Relu, group.Last.Output);
    }

    // Finds the groups once: the graph never changes after it is built.
    private void PlanFusion()
    {
        if (fusedGroups is not null)
        {
            return;
        }

        var readers = new int[schedule.Count];
        foreach (var node in schedule)
        {
            foreach (var input in node.Inputs)
            {
                readers[input.Index]++;
            }
        }

        fusedGroups = new FusedGroup?[schedule.Count];
        skipped = new bool[schedule.Count];
        stale = new bool[schedule.Count];
        for (var i = 1; i < schedule.Count; i++)
        {
            if (schedule[i] is not Conv2dNode { PadGeometry: null } conv)
            {
                continue;
            }

            // A convolution and ReLU alone are left apart: without a batch norm to save, the fused call is the same
            // two passes where the kernel cannot apply ReLU as it writes (LeNet-5 at batch 1 lost 15 % to it).
            if (SoleReader(conv, readers) is not BatchNorm2dNode norm)
            {
                continue;
            }

            var last = (Node)norm;

            var relu = SoleReader(last, readers) is ActivationNode { Function: ActivationKind.Relu } activation
                ? activation : null;
            if (relu is not null)
            {
                last = relu;
            }

            // The group runs at the convolution's place and writes the last node's output; the convolution's
            // output (and the batch norm's, when a ReLU follows) is not written by it.
            fusedGroups[i] = new FusedGroup(conv, norm, relu is not null, last);
            stale[conv.Index] = true;
            skipped[norm.Index] = true;
            stale[norm.Index] = norm != last;

            if (relu is not null)
            {
                skipped[relu.Index] = true;
            }
        }
    }

    // The node that alone reads node's output, if one does and node is not the network's output.
    private Node? SoleReader(Node node, int[] readers)
    {
        if (readers[node.Index] != 1 || node == Output)
        {
            return null;
        }

        for (var j = node.Index + 1; j < schedule.Count; j++)
        {
            if (schedule[j].Inputs.Contains(node))
            {
                return schedule[j] is { IsView: false } reader ? reader : null;
            }
        }

        return null;
    }

    private sealed record FusedGroup(Conv2dNode Conv, BatchNorm2dNode? Norm, bool Relu, Node Last);
}
