using System.Globalization;

namespace GpuCnn.Engine.Distributed;

/// <summary>
/// What <c>mpirun</c> tells the processes it starts, read from Open MPI's environment variables
/// (<c>OMPI_COMM_WORLD_SIZE</c>, <c>OMPI_COMM_WORLD_RANK</c>, <c>OMPI_COMM_WORLD_LOCAL_RANK</c>,
/// <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>) without loading the MPI library, so that a normal run never does.
/// </summary>
public static class MpiEnvironment
{
    /// <summary>True when this process was started by Open MPI's <c>mpirun</c>.</summary>
    public static bool IsLaunched => Read("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>Ranks in the job (1 when not launched by mpirun).</summary>
    public static int WorldSize => Read("OMPI_COMM_WORLD_SIZE") ?? 1;

    /// <summary>This process's rank in the job (0 when not launched by mpirun).</summary>
    public static int WorldRank => Read("OMPI_COMM_WORLD_RANK") ?? 0;

    /// <summary>This process's rank among the ranks on its host: which GPU it takes.</summary>
    public static int LocalRank => Read("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0;

    /// <summary>Ranks on this host: how many share its cores.</summary>
    public static int LocalSize => Read("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1;

    /// <summary>
    /// The CPU threads each rank on this host gets: the host's logical cores split evenly among its ranks, at least
    /// one each.
    /// </summary>
    public static int ThreadsPerLocalRank => Math.Max(1, Environment.ProcessorCount / Math.Max(1, LocalSize));

    private static int? Read(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture,
            out var value) ? value : null;
}
