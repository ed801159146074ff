using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Convolution on the CPU as im2col + GEMM, one image per worker: each worker unfolds its image into a
/// (C/G*R*S, P*Q) matrix in its own scratch and multiplies it single-threaded, so the cores never share a tile.
/// The weight gradient is summed per worker and reduced at the end.
/// </summary>
internal sealed unsafe class Conv2dCpu : IParallelJob
{
    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private Mode mode;
    private Conv2dGeometry g;
    private float* x;
    private float* w;
    private float* b;
    private float* y;
    private float* dWorkers;
    private int partialLength;
    private int partitions;

    public Conv2dCpu(CpuWorkers workers, CpuScratch scratch)
    {
        this.workers = workers;
        this.scratch = scratch;
    }

    private enum Mode
    {
        Forward,
        BackwardData,
        BackwardFilter,
    }

    // x:(N,C,H,W) w:(K,C/G,R,S) b:(K)? y:(N,K,P,Q)
    public void Forward(in Conv2dGeometry geometry, float* input, float* weight, float* bias, float* output)
    {
        Set(Mode.Forward, geometry, input, weight, bias, output);
        workers.Run(this, g.N);
    }

    // dy:(N,K,P,Q) w:(K,C/G,R,S) dx:(N,C,H,W) += ...
    public void BackwardData(in Conv2dGeometry geometry, float* dOutput, float* weight, float* dInput)
    {
        Set(Mode.BackwardData, geometry, dInput, weight, null, dOutput);
        workers.Run(this, g.N);
    }

    // x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C/G,R,S) += ... db:(K)? += ...
    public void BackwardFilter(in Conv2dGeometry geometry, float* input, float* dOutput, float* dWeight, float* dBias)
    {
        Set(Mode.BackwardFilter, geometry, input, dWeight, dBias, dOutput);
        // NOTE: each partial sum owns a fixed, contiguous range of images and the partials are added in a fixed
        // order, so the weight gradient is bitwise the same whichever thread runs which range.
        partitions = Math.Min(workers.Count, g.N);
        partialLength = g.WeightLength + g.K;
        dWorkers = scratch.Shared(0, partialLength * partitions);
        workers.Run(this, partitions);
        for (var part = 0; part < partitions; part++)
        {
            var partial = dWorkers + (long)part * partialLength;
            Add(partial, w, g.WeightLength);
            if (b != null)
            {
                Add(partial + g.WeightLength, b, g.K);
            }
        }
    }

    public void Run(int n, int worker)
    {
        switch (mode)
        {
            case Mode.Forward:
                ForwardImage(n, worker);
                break;
            case Mode.BackwardData:
                BackwardDataImage(n, worker);
                break;
            default:
                var partial = dWorkers + (long)n * partialLength;
                new Span<float>(partial, partialLength).Clear();
                for (int image = n * g.N / partitions, end = (n + 1) * g.N / partitions; image < end; image++)
                {
                    BackwardFilterImage(image, worker, partial);
                }

                break;
        }
    }

    private void Set(Mode m, in Conv2dGeometry geometry, float* input, float* weight, float* bias, float* output)
    {
        mode = m;
        g = geometry;
        if (!g.IsPointwise)
        {
            scratch.Reserve(ColumnRows * g.P * g.Q);
        }

        x = input;
        w = weight;
        b = bias;
        y = output;
    }

    private int ColumnRows => g.CPerGroup * g.R * g.S;

    private void ForwardImage(int n, int worker)
    {
        int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;
        var image = x + (long)n * g.C * g.H * g.W;
        var output = y + (long)n * g.K * pq;
        var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
        for (var group = 0; group < g.Groups; group++)
        {
            var source = Unfold(image + (long)group * g.CPerGroup * g.H * g.W, col);

            CpuGemm.Sgemm(false, false, kg, pq, rows, 1f, w + (long)group * kg * rows, rows, source, pq, 0f,
                output + (long)group * kg * pq, pq, parallel: false);
        }

        if (b != null)
        {
            for (var k = 0; k < g.K; k++)
            {
                AddScalar(output + (long)k * pq, b[k], pq);
            }
        }
    }

    private void BackwardDataImage(int n, int worker)
    {
        // Here x is dx and y is dy (see BackwardData).
        int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;
        var dImage = x + (long)n * g.C * g.H * g.W;
        var dOutput = y + (long)n * g.K * pq;
        var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
        for (var group = 0; group < g.Groups; group++)
        {
            var dGroup = dImage + (long)group * g.CPerGroup * g.H * g.W;
            var weight = w + (long)group * kg * rows;
            var dyGroup = dOutput + (long)group * kg * pq;
            if (col == null)
            {
                CpuGemm.Sgemm(true, false, rows, pq, kg, 1f, weight, rows, dyGroup, pq, 1f, dGroup, pq, false);
            }
            else
            {
                CpuGemm.Sgemm(true, false, rows, pq, kg, 1f, weight, rows, dyGroup, pq, 0f, col, pq, false);
                Col2ImAdd(col, dGroup);
            }
        }
    }

    private void BackwardFilterImage(int n, int worker, float* partial)
    {
        // Here w is dw, b is db, y is dy; the image's contribution goes into its range's partial sum.
        int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;

        var image = x + (long)n * g.C * g.H * g.W;
        var dOutput = y + (long)n * g.K * pq;
        var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
        for (var group = 0; group < g.Groups; group++)
        {
            var source = Unfold(image + (long)group * g.CPerGroup * g.H * g.W, col);

            CpuGemm.Sgemm(false, true, kg, rows, pq, 1f, dOutput + (long)group * kg * pq, pq, source, pq, 1f,
                partial + (long)group * kg * rows, rows, false);
        }

        if (b != null)
        {
            var dBias = partial + g.WeightLength;
            for (var k = 0; k < g.K; k++)
            {
                dBias[k] += Sum(dOutput + (long)k * pq, pq);
            }
        }
    }

    // The group's im2col matrix: the input itself for a pointwise convolution (col == null), else unfolded.
    private float* Unfold(float* groupInput, float* col)
    {
        if (col == null)
        {
            return groupInput;
        }

        Im2Col(groupInput, col);
        return col;
    }

    // col[(c*R + r)*S + s, p*Q + q] = x[c, p*sh - padTop + r*dh, q*sw - padLeft + s*dw], zero outside.
    private void Im2Col(float* image, float* col)
    {
        int P = g.P, Q = g.Q;
        var row = col;
        for (var c = 0; c < g.CPerGroup; c++)
        {
            var plane = image + (long)c * g.H * g.W;
            for (var r = 0; r < g.R; r++)
            {
                for (var s = 0; s < g.S; s++)
                {
                    var colOffset = s * g.DilationW - g.PadLeft;
                    QRange(colOffset, out var q0, out var q1);
                    for (var p = 0; p < P; p++)
                    {
                        var dst = row + p * Q;
                        var ih = p * g.StrideH - g.PadTop + r * g.DilationH;
                        if ((uint)ih >= (uint)g.H || q0 >= q1)
                        {
                            new Span<float>(dst, Q).Clear();
                            continue;
                        }

                        var src = plane + ih * g.W + colOffset;
                        for (var q = 0; q < q0; q++)
                        {
                            dst[q] = 0f;
                        }

                        if (g.StrideW == 1)
                        {
                            new ReadOnlySpan<float>(src + q0, q1 - q0).CopyTo(new Span<float>(dst + q0, q1 - q0));
                        }
                        else
                        {
                            for (var q = q0; q < q1; q++)
                            {
                                dst[q] = src[q * g.StrideW];
                            }
                        }

                        for (var q = q1; q < Q; q++)
                        {
                            dst[q] = 0f;
                        }
                    }

                    row += P * Q;
                }
            }
        }
    }

    // The adjoint of Im2Col: every column entry is added back to the pixel it was read from.
    private void Col2ImAdd(float* col, float* dImage)
    {
        int P = g.P, Q = g.Q;
        var row = col;
        for (var c = 0; c < g.CPerGroup; c++)
        {
            var plane = dImage + (long)c * g.H * g.W;
            for (var r = 0; r < g.R; r++)
            {
                for (var s = 0; s < g.S; s++)
                {
                    var colOffset = s * g.DilationW - g.PadLeft;
                    QRange(colOffset, out var q0, out var q1);
                    for (var p = 0; p < P; p++)
                    {
                        var ih = p * g.StrideH - g.PadTop + r * g.DilationH;
                        if ((uint)ih >= (uint)g.H || q0 >= q1)
                        {
                            continue;
                        }

                        var dst = plane + ih * g.W + colOffset;
                        var src = row + p * Q;
                        if (g.StrideW == 1)
                        {
                            Add(src + q0, dst + q0, q1 - q0);
                        }
                        else
                        {
                            for (var q = q0; q < q1; q++)
                            {
                                dst[q * g.StrideW] += src[q];
                            }
                        }
                    }

                    row += P * Q;
                }
            }
        }
    }

    // The output columns q whose input column q*sw + offset lies inside [0, W).
    private void QRange(int offset, out int q0, out int q1)
    {
        var sw = g.StrideW;
        q0 = offset >= 0 ? 0 : (-offset + sw - 1) / sw;
        var last = g.W - 1 - offset;
        q1 = last < 0 ? 0 : Math.Min(g.Q, last / sw + 1);
    }

    private static void Add(float* source, float* destination, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Add(
            new ReadOnlySpan<float>(source, count), new ReadOnlySpan<float>(destination, count),
            new Span<float>(destination, count));

    private static void AddScalar(float* destination, float value, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Add(
            new ReadOnlySpan<float>(destination, count), value, new Span<float>(destination, count));

    private static float Sum(float* source, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(source, count));
}
