using GpuCnn.Engine;
using GpuCnn.Engine.Distributed;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli.Train;

/// <summary>
/// <c>train</c> under <c>mpirun</c>: the MPI world, and what changes when the run is one rank of several. Every rank
/// reads the same global batches (same seed) and trains on its disjoint shard (<c>--batch-size</c> stays the global
/// batch); rank 0 alone prints and writes checkpoints, metrics, logs and plots, the other ranks' standard output is
/// silenced (their errors still show). Null from <see cref="Start"/> in a normal run, which never loads MPI.
/// </summary>
internal sealed class Ranks
{
    private Ranks(MpiCommunicator world) => World = world;

    public MpiCommunicator World { get; }

    public bool IsRoot => World.IsRoot;

    /// <summary>The world when this process was started by mpirun, else null.</summary>
    public static Ranks? Start()
    {
        if (!MpiEnvironment.IsLaunched)
        {
            return null;
        }

        var ranks = new Ranks(new MpiCommunicator());
        if (!ranks.IsRoot)
        {
            Console.SetOut(TextWriter.Null);
        }

        Console.WriteLine($"Data-parallel over {ranks.World.Size} MPI ranks ({MpiEnvironment.LocalSize} on this " +
            "host); batch norm uses each rank's own shard statistics.");
        return ranks;
    }

    /// <summary>The largest shard of a global batch of <paramref name="batch"/>: what each rank's network holds.
    /// </summary>
    public int ShardBatch(int batch) => (batch + World.Size - 1) / World.Size;

    /// <summary>Reduces <paramref name="trainer"/>'s gradients among the ranks.</summary>
    public void Attach(Trainer trainer) =>
        trainer.Parallel = new DataParallel(trainer.Network, World, DataParallel.BucketBytesFromEnvironment());

    /// <summary>This rank's shard of the global batches.</summary>
    public static IBatchSource Shard(Trainer trainer, IBatchSource global) => trainer.Parallel?.Shard(global) ?? global;

    /// <summary>The callbacks this rank runs: on rank 0 all of them, on the others those that change the training
    /// state (schedules, clipping, early stopping) but none that print or write; first, the one that keeps the
    /// ranks' models identical.</summary>
    public List<TrainingCallback> Filter(Trainer trainer, List<TrainingCallback> callbacks)
    {
        var kept = IsRoot ? callbacks : callbacks.Where(c => c is not (CheckpointCallback or TrainingProgress
            or EpochReport or CurvesPlot or Engine.Training.Callbacks.CsvLog)).ToList();
        return [trainer.Parallel!.Callback(), .. kept];
    }

    /// <summary>Finalises MPI after a run that ended normally on every rank. A rank that fails leaves without
    /// this, and mpirun, seeing it exit so, ends the whole job rather than letting the others wait.</summary>
    public void Finish() => World.Dispose();
}
