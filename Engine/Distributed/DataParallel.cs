using System.Globalization;
using GpuCnn.Engine.Training;

namespace GpuCnn.Engine.Distributed;

/// <summary>
/// Data-parallel training of one network by a group of ranks, as PyTorch's DistributedDataParallel does it: every
/// rank holds the same parameters and trains on its own disjoint shard of each global batch; backward hands each
/// bucket of gradients (about 25 MB, in reverse parameter order) to a non-blocking sum as soon as its last gradient
/// is final, while the earlier layers are still running; after backward the summed gradients are divided by the
/// global batch, so that every rank holds the gradient of the mean loss over the whole batch and applies the same
/// update. Shards may differ in size (a batch that does not divide by the ranks, the last batch of an epoch): each
/// rank's mean gradient is weighted by its share, so the result is the one-process gradient up to rounding.
/// Batch norm normalises with each rank's own shard statistics (DDP's default, not SyncBatchNorm); rank 0's
/// running statistics are copied to every rank before each evaluation and are what checkpoints hold.
/// </summary>
/// <remarks>
/// Gradients travel through pinned host buffers, so a GPU backend reads each bucket back once per step. MPI
/// progresses a non-blocking sum only inside MPI calls, so backward polls the sums in flight after every node.
/// Use: <c>trainer.Parallel = dataParallel</c>, train on <see cref="Shard"/> of the global source, and add
/// <see cref="Callback"/> to the loop's callbacks.
/// </remarks>
public sealed class DataParallel : IGradientObserver
{
    /// <summary>DDP's default bucket size, 25 MiB.</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly GradientBuckets plan;
    private readonly double[] totals = new double[3];
    private float weight;
    private int launched;

    /// <summary>Reduces the gradients of <paramref name="network"/>'s trainable parameters among the ranks of
    /// <paramref name="communicator"/>, in buckets of at most <paramref name="bucketBytes"/>.</summary>
    public DataParallel(Network network, Communicator communicator, long bucketBytes = DefaultBucketBytes)
    {
        Network = network;
        Communicator = communicator;
        plan = new GradientBuckets(network.TrainableParameters(), bucketBytes);
        network.GradientObserver = this;
    }

    /// <summary>The network trained.</summary>
    public Network Network { get; }

    /// <summary>The group of ranks.</summary>
    public Communicator Communicator { get; }

    /// <summary>Floats in each bucket, in the order they are reduced.</summary>
    public IReadOnlyList<int> BucketLengths => plan.Buckets.Select(b => b.Length).ToList();

    /// <summary>The bucket size from <c>GPUCNN_BUCKET_MB</c> (megabytes, as Horovod's fusion threshold is set),
    /// else <see cref="DefaultBucketBytes"/>.</summary>
    /// <exception cref="ArgumentException">The variable is not a positive number.</exception>
    public static long BucketBytesFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("GPUCNN_BUCKET_MB");
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultBucketBytes;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var mb) && mb > 0
            ? Math.Max(4, (long)(mb * (1 << 20)))
            : throw new ArgumentException($"GPUCNN_BUCKET_MB must be a positive number of megabytes; got '{text}'.");
    }

    /// <summary>This rank's disjoint share of every batch <paramref name="global"/> yields: samples
    /// [n·r/R, n·(r+1)/R) of a batch of n. Every rank must read the same global batches (same seed).</summary>
    public IBatchSource Shard(IBatchSource global) =>
        new ShardedBatchSource(global, Communicator.Rank, Communicator.Size, Network.InputShape.Size);

    /// <summary>A callback that copies rank 0's parameters and running statistics to every rank when the loop
    /// begins (after a resume) and rank 0's running statistics before each evaluation.</summary>
    public TrainingCallback Callback() => new DataParallelCallback(this);

    /// <summary>Copies rank 0's parameters (and running statistics) to every rank: the same seed already gives the
    /// same initialisation, this makes sure of it (and covers a checkpoint read differently).</summary>
    public void BroadcastParameters()
    {
        foreach (var p in Network.Parameters())
        {
            var values = p.ToArray();
            Communicator.Broadcast(values, 0);
            p.Load(values);
        }

        BroadcastStates();
    }

    /// <summary>Copies rank 0's running statistics (batch norm's running mean and variance) to every rank.</summary>
    public void BroadcastStates()
    {
        foreach (var s in Network.States())
        {
            var values = new float[s.Shape.Size];
            s.Value.Accelerator.CopyToHost(s.Value, values);
            Communicator.Broadcast(values, 0);
            s.Value.Accelerator.CopyFromHost(values, s.Value);
        }
    }

    /// <summary>Before backward: this rank's shard holds <paramref name="localCount"/> samples (0 is allowed).
    /// </summary>
    internal void BeginBackward(int localCount)
    {
        weight = localCount;
        launched = 0;
        var buckets = plan.Buckets;
        for (var b = 0; b < buckets.Count; b++)
        {
            buckets[b].Pending = buckets[b].Parameters.Length;
            buckets[b].Handle = -1;
        }
    }

    /// <summary>Backward has finished <paramref name="node"/>: its parameters' gradients are final.</summary>
    void IGradientObserver.GradientsReady(Node node)
    {
        var parameters = node.Parameters;
        for (var i = 0; i < parameters.Count; i++)
        {
            var b = plan.IndexOf(parameters[i]);
            if (b >= 0)
            {
                plan.Buckets[b].Pending--;
            }
        }

        LaunchReady(force: false);

        // MPI moves a non-blocking sum along only inside MPI calls: give the ones in flight a turn.
        var buckets = plan.Buckets;
        for (var b = 0; b < buckets.Count; b++)
        {
            if (buckets[b].Handle >= 0)
            {
                Communicator.Poll(buckets[b].Handle);
            }
        }
    }

    /// <summary>
    /// After backward: starts any bucket not yet started, sums the loss, the correct predictions and the sample
    /// count across the ranks, waits for every bucket and leaves the mean gradient over the global batch in each
    /// parameter. Returns the global step result, the same on every rank.
    /// </summary>
    internal StepResult Finish(float loss, int correct, int count)
    {
        var buckets = plan.Buckets;
        // Buckets start in plan order on every rank (MPI matches collectives by order): a bucket whose turn has
        // not come waits for the ones before it.
        LaunchReady(force: true);

        totals[0] = count == 0 ? 0 : (double)loss * count;
        totals[1] = correct;
        totals[2] = count;
        Communicator.Sum(totals);
        var global = totals[2];
        if (global <= 0)
        {
            throw new InvalidOperationException("No rank had a sample in this batch.");
        }

        for (var b = 0; b < buckets.Count; b++)
        {
            Communicator.Wait(buckets[b].Handle);
            buckets[b].Scatter((float)(1.0 / global));
        }

        return new StepResult((float)(totals[0] / global), (int)totals[1], (int)global);
    }

    // Starts the next buckets in plan order while they are ready (all of them when forced). Backward makes them
    // ready in plan order on every rank; a rank with an empty shard starts them all at the end, in the same order.
    private void LaunchReady(bool force)
    {
        var buckets = plan.Buckets;
        while (launched < buckets.Count && (force || buckets[launched].Pending == 0))
        {
            var next = buckets[launched];
            next.Gather(weight);
            next.Handle = Communicator.StartSum(next.Host, next.Length);
            launched++;
        }
    }
}
