using GpuCnn.Kernels;

namespace GpuCnn.Engine.Distributed;

/// <summary>
/// The parameters' gradients grouped, in reverse parameter order, into buckets of at most a byte budget (a
/// parameter larger than the budget gets a bucket of its own), as PyTorch's DistributedDataParallel groups them:
/// backward produces the last layers' gradients first, so the first bucket can be on the wire while the earlier
/// layers are still computing. Each bucket has a pinned host buffer its gradients are copied into, weighted, summed
/// across the ranks in place, and copied back from.
/// </summary>
internal sealed class GradientBuckets
{
    private readonly Bucket[] buckets;
    private readonly Dictionary<Parameter, int> bucketOf = new(ReferenceEqualityComparer.Instance);

    public GradientBuckets(IReadOnlyList<Parameter> parameters, long bucketBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        var list = new List<Bucket>();
        var current = new List<Parameter>();
        long bytes = 0;
        for (var i = parameters.Count - 1; i >= 0; i--)
        {
            var p = parameters[i];
            var size = 4L * p.Length;
            if (current.Count > 0 && bytes + size > bucketBytes)
            {
                list.Add(new Bucket([.. current]));
                current.Clear();
                bytes = 0;
            }

            current.Add(p);
            bytes += size;
        }

        if (current.Count > 0)
        {
            list.Add(new Bucket([.. current]));
        }

        buckets = [.. list];
        for (var b = 0; b < buckets.Length; b++)
        {
            foreach (var p in buckets[b].Parameters)
            {
                bucketOf[p] = b;
            }
        }
    }

    /// <summary>The buckets, first reduced first.</summary>
    public IReadOnlyList<Bucket> Buckets => buckets;

    /// <summary>The bucket holding <paramref name="parameter"/>, or -1 when it is not reduced (frozen).</summary>
    public int IndexOf(Parameter parameter) => bucketOf.TryGetValue(parameter, out var b) ? b : -1;

    /// <summary>One bucket: its parameters (reverse order), their offsets in the host buffer, and the state of the
    /// current step's reduction.</summary>
    internal sealed class Bucket
    {
        public Bucket(Parameter[] parameters)
        {
            Parameters = parameters;
            Offsets = new int[parameters.Length];
            var offset = 0;
            for (var i = 0; i < parameters.Length; i++)
            {
                Offsets[i] = offset;
                offset += parameters[i].Length;
            }

            Length = offset;
            Host = GC.AllocateArray<float>(offset, pinned: true);
        }

        public Parameter[] Parameters { get; }

        public int[] Offsets { get; }

        /// <summary>Floats in the bucket.</summary>
        public int Length { get; }

        /// <summary>The pinned host buffer summed in place.</summary>
        public float[] Host { get; }

        /// <summary>Parameters whose gradient is not final yet in this step.</summary>
        public int Pending { get; set; }

        /// <summary>The communicator's handle of the sum in flight, or -1.</summary>
        public int Handle { get; set; } = -1;

        /// <summary>Copies the gradients into the host buffer, multiplied by <paramref name="weight"/>.</summary>
        public void Gather(float weight)
        {
            for (var i = 0; i < Parameters.Length; i++)
            {
                var p = Parameters[i];
                p.Grad.Accelerator.CopyToHost(p.Grad, Host.AsSpan(Offsets[i], p.Length));
            }

            if (weight != 1f)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(Host.AsSpan(0, Length), weight,
                    Host.AsSpan(0, Length));
            }
        }

        /// <summary>Copies the summed host buffer, multiplied by <paramref name="scale"/>, back into the gradients.
        /// </summary>
        public void Scatter(float scale)
        {
            var span = Host.AsSpan(0, Length);
            System.Numerics.Tensors.TensorPrimitives.Multiply(span, scale, span);
            for (var i = 0; i < Parameters.Length; i++)
            {
                var p = Parameters[i];
                p.Grad.Accelerator.CopyFromHost(Host.AsSpan(Offsets[i], p.Length), p.Grad);
            }
        }
    }
}
