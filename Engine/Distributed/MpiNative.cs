using System.Runtime.InteropServices;

namespace GpuCnn.Engine.Distributed;

/// <summary>
/// The few MPI calls data-parallel training makes, bound to Open MPI's <c>libmpi.so.40</c> through function pointers
/// looked up once. Open MPI's handles are addresses of exported data symbols (<c>MPI_COMM_WORLD</c> is
/// <c>&amp;ompi_mpi_comm_world</c>), so they are looked up the same way. Nothing here runs unless a process was
/// started by <c>mpirun</c>: a normal run never loads the library.
/// </summary>
internal static unsafe class MpiNative
{
    public const int Success = 0;
    public const int ThreadFunneled = 1;
    public static readonly nint InPlace = 1;

    private static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so"];
    private static nint library;

    public static nint CommWorld { get; private set; }

    public static nint Float { get; private set; }

    public static nint Double { get; private set; }

    public static nint OpSum { get; private set; }

    public static delegate* unmanaged<int*, int> Initialized { get; private set; }

    public static delegate* unmanaged<int*, int> Finalized { get; private set; }

    public static delegate* unmanaged<int*, byte***, int, int*, int> InitThread { get; private set; }

    public static delegate* unmanaged<int> Finalize { get; private set; }

    public static delegate* unmanaged<nint, int*, int> CommRank { get; private set; }

    public static delegate* unmanaged<nint, int*, int> CommSize { get; private set; }

    // (sendbuf, recvbuf, count, datatype, op, comm, request*)
    public static delegate* unmanaged<nint, void*, int, nint, nint, nint, nint*, int> Iallreduce { get; private set; }

    // (sendbuf, recvbuf, count, datatype, op, comm)
    public static delegate* unmanaged<nint, void*, int, nint, nint, nint, int> Allreduce { get; private set; }

    // (request*, flag*, status*)
    public static delegate* unmanaged<nint*, int*, void*, int> Test { get; private set; }

    // (request*, status*)
    public static delegate* unmanaged<nint*, void*, int> Wait { get; private set; }

    // (buffer, count, datatype, root, comm)
    public static delegate* unmanaged<void*, int, nint, int, nint, int> Bcast { get; private set; }

    public static delegate* unmanaged<nint, int> Barrier { get; private set; }

    public static delegate* unmanaged<nint, int, int> Abort { get; private set; }

    /// <summary>Loads the library and resolves every symbol; idempotent.</summary>
    /// <exception cref="DllNotFoundException">Open MPI's library is not installed; the message says which package.
    /// </exception>
    public static void Load()
    {
        if (library != 0)
        {
            return;
        }

        nint handle = 0;
        if (!Candidates.Any(name => NativeLibrary.TryLoad(name, out handle)))
        {
            throw new DllNotFoundException("This process was started by mpirun but Open MPI's library " +
                $"({string.Join(" or ", Candidates)}) cannot be loaded; install Open MPI 4 (Debian: openmpi-bin).");
        }

        CommWorld = Symbol(handle, "ompi_mpi_comm_world");
        Float = Symbol(handle, "ompi_mpi_float");
        Double = Symbol(handle, "ompi_mpi_double");
        OpSum = Symbol(handle, "ompi_mpi_op_sum");
        Initialized = (delegate* unmanaged<int*, int>)Symbol(handle, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol(handle, "MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol(handle, "MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Symbol(handle, "MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Symbol(handle, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Symbol(handle, "MPI_Comm_size");
        Iallreduce = (delegate* unmanaged<nint, void*, int, nint, nint, nint, nint*, int>)
            Symbol(handle, "MPI_Iallreduce");
        Allreduce = (delegate* unmanaged<nint, void*, int, nint, nint, nint, int>)Symbol(handle, "MPI_Allreduce");
        Test = (delegate* unmanaged<nint*, int*, void*, int>)Symbol(handle, "MPI_Test");
        Wait = (delegate* unmanaged<nint*, void*, int>)Symbol(handle, "MPI_Wait");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Symbol(handle, "MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Symbol(handle, "MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Symbol(handle, "MPI_Abort");
        library = handle;
    }

    /// <summary>Throws naming <paramref name="call"/> when an MPI call did not succeed. (Open MPI's default error
    /// handler aborts the job first; this catches a handler that returns instead.)</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw new InvalidOperationException($"{call} failed with MPI error code {status}.");
        }
    }

    private static nint Symbol(nint handle, string name) => NativeLibrary.TryGetExport(handle, name, out var address)
        ? address
        : throw new EntryPointNotFoundException(
            $"Open MPI's library has no symbol {name}; this binding expects Open MPI 4 (libmpi.so.40).");
}
