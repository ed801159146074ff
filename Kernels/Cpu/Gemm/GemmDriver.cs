using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Tile256 = GpuCnn.Kernels.Cpu.Gemm.Avx2MicroKernel;
using Tile512 = GpuCnn.Kernels.Cpu.Gemm.Avx512MicroKernel;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>Which micro-kernel the machine runs.</summary>
internal enum GemmIsa
{
    /// <summary>No AVX2/FMA: the portable tile.</summary>
    Scalar,

    /// <summary>AVX2 + FMA3, 6 x 16 tiles.</summary>
    Avx2,

    /// <summary>AVX-512F, 14 x 32 tiles.</summary>
    Avx512,
}

/// <summary>
/// Single-threaded blocked GEMM over one sub-problem of C (Goto/BLIS loop order): for each nc-wide column block
/// and kc-deep slice of k, op(B) is packed once (it lives in L2/L3 and is swept by every row block); for each
/// mc-tall row block op(A) is packed into L2; then every (nr column strip, mr row strip) pair runs one tile,
/// with the kc x nr strip of B staying in cache while the A strips of the row block stream past it. Scratch is
/// per thread and reused: at most (Mc + Nc) * Kc floats (~8.5 MiB) once a thread has run a large product.
/// </summary>
/// <remarks>
/// The driver and the packing routines are compiled fully optimised at their first call, as the micro-kernels
/// are: tiered compilation would otherwise run their first 30 calls as unoptimised code (vector locals on the
/// stack), which made the first few products of each size, all that a short benchmark or the first training
/// steps see, up to twice as slow.
/// </remarks>
internal static unsafe class GemmDriver
{
    /// <summary>
    /// NOTE: the choice rests on <see cref="Avx512F.IsSupported"/>, not <c>Vector512.IsHardwareAccelerated</c>.
    /// The runtime reports Vector512 as not accelerated on CPUs where 512-bit code may lower clocks (some Intel
    /// parts), yet the explicit Avx512F intrinsics still compile to zmm code there; for a GEMM that saturates
    /// the FMA units the wider tile wins regardless.
    /// </summary>
    public static readonly GemmIsa Isa =
        Avx512F.IsSupported ? GemmIsa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2
        : GemmIsa.Scalar;

    /// <summary>Rows per register tile on this machine.</summary>
    public static readonly int Mr =
        Isa == GemmIsa.Avx512 ? Avx512MicroKernel.Mr : Isa == GemmIsa.Avx2 ? Avx2MicroKernel.Mr : ScalarMicroKernel.Mr;

    /// <summary>Columns per register tile on this machine.</summary>
    public static readonly int Nr =
        Isa == GemmIsa.Avx512 ? Avx512MicroKernel.Nr : Isa == GemmIsa.Avx2 ? Avx2MicroKernel.Nr : ScalarMicroKernel.Nr;

    // Deep k slices pay best here: every slice re-reads and re-writes the C tile, and with kc ~1000 that traffic
    // is amortised over 1000 FMAs per element; measured at 2048^3 on one core, kc 256 -> 1024 lifts ~185 to
    // ~208 GFLOP/s even though a kc x Nr strip of B (128 KiB) then lives in L2 rather than L1. Mc * kc of A
    // (~450 KiB) stays in the 1 MiB L2; a kc x Nc block of B goes to L3.
    private const int Kc = 1024;
    private static readonly int Mc = Isa == GemmIsa.Avx512 ? 8 * Mr : 20 * Mr;
    private const int Nc = 2048;

    /// <summary>
    /// Below this many rows of C, B is read in place instead of packed: each B strip then serves at most a couple
    /// of tiles, so copying it would cost as much as the multiply.
    /// </summary>
    private static readonly int DirectBMaxRows = 2 * Mr;

    [ThreadStatic] private static float[]? threadPackA;
    [ThreadStatic] private static float[]? threadPackB;

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C on the calling thread. Requires m, n, k &gt; 0. With
    /// <paramref name="sharedA"/> (prepared by <see cref="PrepareSharedA"/> for this m and k) the packed blocks
    /// of A come from there, packed by whichever thread reaches each first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(
        bool transA, bool transB, int m, int n, int k, float alpha, float* a, nint lda, float* b, nint ldb,
        float beta, float* c, nint ldc, SharedPackA? sharedA = null)
    {
        if (Isa == GemmIsa.Avx512 && !transA && transB && PreferDot(m, n, k))
        {
            DotMicroKernel.Run(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        int mr = Mr, nr = Nr;

        // A B row stride that is a multiple of 4 KiB maps every row of a strip to the same L1 set.
        bool directB = !transB && m <= DirectBMaxRows && (ldb * sizeof(float)) % 4096 != 0;
        // Equal slices: k = 1100 runs as 2 x 550 rather than 1024 + 76, whose short slice would be all overhead.
        int slices = (k + Kc - 1) / Kc;
        int kcMax = (k + slices - 1) / slices;
        int ncMax = RoundUp(Math.Min(Nc, n), nr);
        int mcMax = RoundUp(Math.Min(Mc, m), mr);
        float* packB = Buffer(ref threadPackB, directB ? kcMax * nr : kcMax * ncMax, Kc * RoundUp(Nc, nr));

        // Slack past the end: masked A packing of the last strip may write up to a vector beyond the strip.
        float* packA = Buffer(ref threadPackA, mcMax * kcMax + 16, RoundUp(Mc, mr) * Kc + 16);

        for (int jc = 0; jc < n; jc += Nc)
        {
            int nc = Math.Min(Nc, n - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);

                // Later slices of k accumulate onto what the first slice wrote.
                float betaSlice = pc == 0 ? beta : 1f;
                float* bBlock = transB ? b + jc * ldb + pc : b + pc * ldb + jc;

                // The AVX-512 tile masks its B loads to the live columns, so in place it takes even the ragged
                // last strip; the other tiles read whole strips and get a zero-padded copy of it.
                int inPlace = Isa == GemmIsa.Avx512 ? nc : nc / nr * nr;
                if (!directB) GemmPacking.PackB(transB, bBlock, ldb, kc, nc, nr, packB);
                else if (inPlace < nc) GemmPacking.PackB(false, bBlock + inPlace, ldb, kc, nc - inPlace, nr, packB);

                for (int ic = 0; ic < m; ic += Mc)
                {
                    int mc = Math.Min(Mc, m - ic);
                    float* aBlock = transA ? a + pc * lda + ic : a + ic * lda + pc;
                    float* blockA = packA;
                    if (sharedA is null)
                    {
                        GemmPacking.PackA(transA, aBlock, lda, mc, kc, mr, packA);
                    }
                    else
                    {
                        int index = pc / kcMax * ((m + Mc - 1) / Mc) + ic / Mc;
                        int nextMc = Math.Max(0, Math.Min(Mc, m - ic - Mc));
                        float* nextA = transA ? aBlock + Mc : aBlock + Mc * lda;
                        blockA = sharedA.Block(index, transA, aBlock, lda, mc, kc, mr, nextA, nextMc);
                    }
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bStrip;
                        nint bStep;
                        if (!directB)
                        {
                            bStrip = packB + (nint)jr * kc;
                            bStep = nr;
                        }
                        else if (jr < inPlace)
                        {
                            bStrip = bBlock + jr;
                            bStep = ldb;
                        }
                        else
                        {
                            bStrip = packB;
                            bStep = nr;
                        }

                        float* cStrip = c + ic * ldc + jc + jr;
                        for (int ir = 0; ir < mc;)
                        {
                            int rows = GemmPacking.StripRows(mc - ir, mr);
                            Tile(rows, kc, blockA + (nint)ir * kc, rows, bStrip, bStep, cStrip + ir * ldc, ldc,
                                alpha, betaSlice, cols);
                            ir += rows;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sizes <paramref name="shared"/> for the A blocks of an m x k product that <see cref="Run"/> would pack,
    /// or returns false where <see cref="Run"/> packs no A blocks or they would not fit.
    /// </summary>
    public static bool PrepareSharedA(SharedPackA shared, bool transA, bool transB, int m, int n, int k)
    {
        if (Isa == GemmIsa.Avx512 && !transA && transB && PreferDot(m, n, k)) return false;
        int slices = (k + Kc - 1) / Kc;
        int kcMax = (k + slices - 1) / slices;
        int mcMax = RoundUp(Math.Min(Mc, m), Mr);
        return shared.Prepare(slices * ((m + Mc - 1) / Mc), mcMax * kcMax + 16);
    }

    /// <summary>
    /// A x B^T goes to dot products when C is tiny and k long (a convolution's weight gradient, e.g.
    /// 6 x 25 x 784): transposing B into panels would then cost more than the multiply. Measured crossover:
    /// the packed path wins from about 16 x 150 outputs, or below k = 128.
    /// </summary>
    private static bool PreferDot(int m, int n, int k) => k >= 128 && (long)m * n <= 512;

    /// <summary>Runs the micro-kernel variant for a rows x cols tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(
        int rows, int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta,
        int cols)
    {
        switch (Isa)
        {
            case GemmIsa.Avx512:
                if (cols == 32) Avx512Tile<R2, R0>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                else if (cols > 16) Avx512Tile<R2, R1>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                else if (cols == 16) Avx512Tile<R1, R0>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                else Avx512Tile<R1, R1>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                break;
            case GemmIsa.Avx2:
                if (cols > 8) Avx2Tile<R2>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                else Avx2Tile<R1>(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                break;
            default:
                ScalarMicroKernel.Tile(rows, kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Tile<TVecs, TMaskB>(
        int rows, int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta,
        int cols)
        where TVecs : struct, IConstant
        where TMaskB : struct, IConstant
    {
        switch (rows)
        {
            case 14: Tile512.Tile<R14, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 13: Tile512.Tile<R13, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 12: Tile512.Tile<R12, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 11: Tile512.Tile<R11, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 10: Tile512.Tile<R10, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 9: Tile512.Tile<R9, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 8: Tile512.Tile<R8, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 7: Tile512.Tile<R7, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 6: Tile512.Tile<R6, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 5: Tile512.Tile<R5, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 4: Tile512.Tile<R4, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 3: Tile512.Tile<R3, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 2: Tile512.Tile<R2, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            default: Tile512.Tile<R1, TVecs, TMaskB>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Tile<TVecs>(
        int rows, int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta,
        int cols)
        where TVecs : struct, IConstant
    {
        switch (rows)
        {
            case 6: Tile256.Tile<R6, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 5: Tile256.Tile<R5, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 4: Tile256.Tile<R4, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 3: Tile256.Tile<R3, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            case 2: Tile256.Tile<R2, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
            default: Tile256.Tile<R1, TVecs>(kc, a, aStep, b, bStep, c, ldc, alpha, beta, cols); break;
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>
    /// A 64-byte aligned per-thread scratch of at least <paramref name="floats"/> floats. Arrays live on the
    /// pinned heap, so the pointer stays valid without a fixed block, and die with their thread.
    /// </summary>
    // NOTE: a thread's first buffer is the largest any product can need, so it never grows later: work is claimed
    // dynamically, and a thread may meet a large product for the first time long after a training loop is warm.
    private static float* Buffer(ref float[]? store, int floats, int largest)
    {
        if (store is null || store.Length < floats + 16)
        {
            store = GC.AllocateUninitializedArray<float>(Math.Max(floats, largest) + 16, pinned: true);
        }

        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(store));
        return (float*)((p + 63) & ~(nint)63);
    }
}
