using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels.Cpu.Gemm;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu.Direct;

/// <summary>
/// Direct AVX-512 convolution for layers with few input taps per output (C*R*S small: the first layers of LeNet
/// and the seed net, 1-input-channel stems, 2x2 and 5x5 kernels over a handful of channels). There im2col + GEMM
/// spends most of its time unfolding and scattering and its 14-row register tile runs mostly empty on 6 or 16
/// output channels; here each image is copied once into zero-padded planes split by column phase (a stride-2
/// layer gets an even-column and an odd-column plane), after which every tap of every output row is one
/// contiguous 16-lane load, multiplied by broadcast weights into up to 8 output channels x 3 pixel vectors held in
/// registers. Backward data with stride 1 is the same correlation of dy with the flipped, transposed filter.
/// The weight gradient takes the planes the same way and holds a 4-channel x 6-tap block of it in registers over
/// a chunk of images; each worker owns a fixed range of images and the ranges' partial sums are added in a fixed
/// order, so results never depend on thread timing.
/// </summary>
internal sealed unsafe class Conv2dDirect : IParallelJob
{
    private const int Lanes = 16;

    // Output channels of the forward register tile; each channel block's weights are stored this many wide.
    private const int ChannelTile = 8;

    // The weight-gradient register tile: output channels x taps.
    private const int FilterChannels = 4;
    private const int FilterTaps = 6;

    // Floats of prepared planes a weight-gradient chunk may hold: the chunk is swept once per register tile.
    // Measured: LeNet's conv2 (1,680 floats an image) runs twice as fast with chunks of 9 images as of 32.
    private const int ChunkFloats = 16 * 1024;

    // But at least this many images, or the tiles' horizontal sums cost as much as their multiply-adds.
    private const int MinChunk = 4;

    // Above this many taps per output the GEMM's deep register tile wins (measured on the seed net's and LeNet's
    // layers and on ResNet's downsampling 1x1 convolutions).
    private const int MaxTaps = 512;

    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private int[] tapStore = GC.AllocateArray<int>(64, pinned: true);

    // Per pixel vector of the forward correlation: where its taps start in the planes, where its first live
    // output goes, and its live lanes as bits.
    private int[] vectorStore = GC.AllocateArray<int>(3 * 64, pinned: true);
    private int vectors, planeCore;
    private bool filter;

    // The correlation being run: out[k, p, q] (+)= sum over taps of wt * planes, on prepared planes of the source.
    private int channelsIn, heightIn, widthIn, channelsOut, outH, outW, kernelH, kernelW;
    private int strideH, strideW, dilationH, dilationW, offsetTop, offsetLeft;
    private int planeH, planeW, qBlocks, planeLength, taps, channelBlocks, channelParts;
    private long sourceImage, outputImage;
    private float* source;
    private float* weights;
    private float* bias;
    private float* output;
    private bool accumulate;

    // The weight gradient: dy, dw, db and the per-range partial sums.
    private float* dOutput;
    private float* dWeight;
    private float* dBias;
    private float* partials;
    private float* lanePartials;
    private int images, partitions, partialLength, chunk;

    public Conv2dDirect(CpuWorkers workers, CpuScratch scratch)
    {
        this.workers = workers;
        this.scratch = scratch;
    }

    /// <summary>Whether the forward pass and the weight gradient of <paramref name="g"/> run here.</summary>
    // A 1x1 layer has no unfolding to save (stride 1 multiplies x in place) and its many input channels favour the
    // GEMM; measured on ResNet's downsampling convolutions.
    public static bool Fits(in Conv2dGeometry g) =>
        Avx512F.IsSupported && g.Groups == 1 && g.R * g.S > 1 && g.C * g.R * g.S <= MaxTaps && g.Q >= 8;

    /// <summary>Whether the input gradient of <paramref name="g"/> runs here: stride 1 only, where it is a plain
    /// correlation of dy.</summary>
    public static bool FitsBackwardData(in Conv2dGeometry g) =>
        Avx512F.IsSupported && g.Groups == 1 && g.R * g.S > 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.K * g.R * g.S <= MaxTaps && g.W >= 8;

    // x:(N,C,H,W) w:(K,C,R,S) b:(K)? y:(N,K,P,Q)
    public void Forward(in Conv2dGeometry g, float* x, float* w, float* b, float* y)
    {
        Describe(g, g.C, g.H, g.W, g.K, g.P, g.Q, g.StrideH, g.StrideW, g.PadTop, g.PadLeft);
        source = x;
        bias = b;
        output = y;
        accumulate = false;
        TransposeWeights(w, flipped: false, g);
        Dispatch(g.N);
    }

    // dy:(N,K,P,Q) w:(K,C,R,S) dx:(N,C,H,W) += ...; stride 1 (see FitsBackwardData).
    public void BackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx)
    {
        // dx[c, h, w] = sum w[k, c, r, s] dy[k, h + padTop - r*dh, ...]: with r' = R-1-r the source row is
        // h + r'*dh - ((R-1)*dh - padTop), a forward correlation whose top padding is (R-1)*dh - padTop.
        Describe(g, g.K, g.P, g.Q, g.C, g.H, g.W, 1, 1, (g.R - 1) * g.DilationH - g.PadTop,
            (g.S - 1) * g.DilationW - g.PadLeft);
        source = dy;
        bias = null;
        output = dx;
        accumulate = true;
        TransposeWeights(w, flipped: true, g);
        Dispatch(g.N);
    }

    // x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C,R,S) += ... db:(K)? += ...
    public void BackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        Describe(g, g.C, g.H, g.W, g.K, g.P, g.Q, g.StrideH, g.StrideW, g.PadTop, g.PadLeft);
        source = x;
        dOutput = dy;
        dWeight = dw;
        dBias = db;
        images = g.N;
        filter = true;

        // NOTE: each partial sum belongs to a fixed, contiguous range of images and they are added in a fixed order,
        // so the gradient is bitwise the same whichever thread runs which range.
        partitions = Math.Min(workers.Count, g.N);
        partialLength = g.WeightLength + g.K;
        partials = scratch.Shared(0, partialLength * partitions);
        lanePartials = scratch.Shared(2, g.WeightLength * Lanes * partitions);
        var perPartition = (g.N + partitions - 1) / partitions;
        chunk = Math.Clamp(ChunkFloats / planeLength, Math.Min(MinChunk, perPartition), perPartition);
        scratch.Reserve(chunk * planeLength);
        workers.Run(this, partitions);
        PartialSums.AddInto(partials, partitions, partialLength, dw, g.WeightLength, db, g.K);
    }

    public void Run(int index, int worker)
    {
        if (filter)
        {
            FilterRange(index, worker);
            return;
        }

        var n = index / channelParts;
        var part = index % channelParts;
        var planes = scratch.ForWorker(worker, planeLength);
        Prepare(source + n * sourceImage, planes);
        int first = part * channelBlocks / channelParts, end = (part + 1) * channelBlocks / channelParts;
        for (var block = first; block < end; block++)
        {
            CorrelateBlock(planes, output + n * outputImage, block);
        }
    }

    private void Describe(
        in Conv2dGeometry g, int cIn, int hIn, int wIn, int cOut, int p, int q, int sh, int sw, int top, int left)
    {
        filter = false;
        channelsIn = cIn;
        heightIn = hIn;
        widthIn = wIn;
        channelsOut = cOut;
        outH = p;
        outW = q;
        kernelH = g.R;
        kernelW = g.S;
        strideH = sh;
        strideW = sw;
        dilationH = g.DilationH;
        dilationW = g.DilationW;
        offsetTop = top;
        offsetLeft = left;
        sourceImage = (long)cIn * hIn * wIn;
        outputImage = (long)cOut * p * q;
        qBlocks = (q + Lanes - 1) / Lanes;

        // Rows the taps of every output row reach, and per phase plane the columns of whole 16-lane output blocks
        // plus the widest tap's reach: every load of the last block stays inside its plane row.
        planeH = (p - 1) * sh + (g.R - 1) * g.DilationH + 1;
        planeW = qBlocks * Lanes + (g.S - 1) * g.DilationW / sw;

        // With stride 1 down the rows, output row p starts p plane rows further on, so the output can be swept as
        // one flat run of rows only as wide as the taps reach (garbage lanes where a tap row runs into the next
        // row, dropped when stored): fewer vectors when Q is well short of a multiple of 16 (the seed net's 13
        // columns: 12 vectors an image instead of 13).
        var flatW = q + (g.S - 1) * g.DilationW / sw;
        var flat = sh == 1 && (p * flatW + Lanes - 1) / Lanes < p * qBlocks;
        if (flat)
        {
            planeW = flatW;
        }

        vectors = flat ? (p * flatW + Lanes - 1) / Lanes : p * qBlocks;
        planeCore = cIn * sw * planeH * planeW;

        // Loads of the last vectors run past the last plane row: that slack is zeroed with the planes.
        planeLength = planeCore + 2 * Lanes + planeW;
        if (vectorStore.Length < 3 * vectors)
        {
            vectorStore = GC.AllocateArray<int>(3 * vectors, pinned: true);
        }

        for (var v = 0; v < vectors; v++)
        {
            int input, first, bits = 0;
            if (flat)
            {
                input = v * Lanes;
                first = input / flatW * q + Math.Min(input % flatW, q);
                for (var lane = 0; lane < Lanes; lane++)
                {
                    var j = input + lane;
                    bits |= j < p * flatW && j % flatW < q ? 1 << lane : 0;
                }
            }
            else
            {
                int row = v / qBlocks, block = v % qBlocks;
                input = row * sh * planeW + block * Lanes;
                first = row * q + block * Lanes;
                bits = (1 << Math.Min(Lanes, q - block * Lanes)) - 1;
            }

            vectorStore[3 * v] = input;
            vectorStore[3 * v + 1] = first;
            vectorStore[3 * v + 2] = bits;
        }
        taps = cIn * g.R * g.S;
        channelBlocks = (cOut + ChannelTile - 1) / ChannelTile;
        if (tapStore.Length < taps)
        {
            tapStore = GC.AllocateArray<int>(taps, pinned: true);
        }

        var offsets = TapOffsets;
        for (var c = 0; c < cIn; c++)
        {
            for (var r = 0; r < g.R; r++)
            {
                for (var s = 0; s < g.S; s++)
                {
                    var column = s * g.DilationW;
                    offsets[(c * g.R + r) * g.S + s] = ((c * sw + column % sw) * planeH + r * g.DilationH) * planeW +
                        column / sw;
                }
            }
        }
    }

    private int* TapOffsets => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(tapStore));

    // Items are images, or (image, range of channel blocks) when there are too few images to keep every core busy.
    private void Dispatch(int n)
    {
        channelParts = n >= 2 * workers.Count ? 1 : Math.Min(channelBlocks, (2 * workers.Count + n - 1) / n);
        scratch.Reserve(planeLength);
        workers.Run(this, n * channelParts);
    }

    // wt[(block*taps + t)*8 + i] = weight of output channel block*8 + i at tap t, zero past the last channel; for
    // the input gradient the output channels are the layer's inputs and the filter is flipped in both axes.
    private void TransposeWeights(float* w, bool flipped, in Conv2dGeometry g)
    {
        weights = scratch.Shared(1, channelBlocks * taps * ChannelTile);
        int rs = g.R * g.S;
        for (var block = 0; block < channelBlocks; block++)
        {
            for (var t = 0; t < taps; t++)
            {
                var destination = weights + ((long)block * taps + t) * ChannelTile;
                for (var i = 0; i < ChannelTile; i++)
                {
                    var k = block * ChannelTile + i;
                    if (k >= channelsOut)
                    {
                        destination[i] = 0f;
                    }
                    else if (!flipped)
                    {
                        destination[i] = w[(long)k * taps + t];
                    }
                    else
                    {
                        // t = (k'*R + r')*S + s' over the layer's output channels k'; k is the layer's input channel.
                        int kOut = t / rs, tap = t % rs;
                        destination[i] = w[((long)kOut * g.C + k) * rs + rs - 1 - tap];
                    }
                }
            }
        }
    }

    // planes[(c*sw + phase)*planeH + i][j] = source[c][i - offsetTop][j*sw + phase - offsetLeft], zero outside.
    private void Prepare(float* image, float* planes)
    {
        var row = planes;
        for (var c = 0; c < channelsIn; c++)
        {
            var channel = image + (long)c * heightIn * widthIn;
            for (var phase = 0; phase < strideW; phase++)
            {
                for (var i = 0; i < planeH; i++, row += planeW)
                {
                    var sourceRow = i - offsetTop;
                    var src = (uint)sourceRow < (uint)heightIn ? channel + (long)sourceRow * widthIn : null;
                    if (strideW == 1)
                    {
                        CopyRow(src, row);
                    }
                    else
                    {
                        GatherRow(src, row, phase);
                    }
                }
            }
        }

        new Span<float>(planes + planeCore, planeLength - planeCore).Clear();
    }

    // row[j] = src[j - offsetLeft] where that column exists, else zero; all zero when src is null. Rows are a few
    // vectors long, so masked 16-lane moves beat clearing and copying spans: masked-off lanes are never read, even
    // when their addresses lie before or past the source row.
    private void CopyRow(float* src, float* row)
    {
        var first = Vector512.Create(offsetLeft);
        var end = Vector512.Create(offsetLeft + widthIn);
        var width = Vector512.Create(planeW);
        for (var j = 0; j < planeW; j += Lanes)
        {
            var index = Vector512<int>.Indices + Vector512.Create(j);
            var value = Vector512<float>.Zero;
            if (src != null)
            {
                var live = Vector512.GreaterThanOrEqual(index, first) & Vector512.LessThan(index, end);
                value = Avx512F.MaskLoad(src + j - offsetLeft, live.AsSingle(), Vector512<float>.Zero);
            }

            Avx512F.MaskStore(row + j, Vector512.LessThan(index, width).AsSingle(), value);
        }
    }

    // row[j] = src[j*sw + phase - offsetLeft] where that column exists, else zero.
    private void GatherRow(float* src, float* row, int phase)
    {
        CopyRow(null, row);
        if (src == null)
        {
            return;
        }

        int shift = phase - offsetLeft, sw = strideW;
        int first = Math.Max(0, -Conv2dGeometry.FloorDiv(shift, sw));
        int last = Math.Min(planeW - 1, Conv2dGeometry.FloorDiv(widthIn - 1 - shift, sw));
        for (var j = first; j <= last; j++)
        {
            row[j] = src[j * sw + shift];
        }
    }

    // One block of up to 8 output channels over every pixel of one image. A tile holds 3 pixel vectors of 5 to 8
    // channels (up to 24 accumulators; measured ~10% faster than 2 on the seed net's conv2), or 4 of fewer
    // channels, so that at least 8 independent accumulators hide the FMA latency.
    private void CorrelateBlock(float* planes, float* image, int block)
    {
        int k0 = block * ChannelTile, count = Math.Min(ChannelTile, channelsOut - k0);
        var tile = new Tile(taps, TapOffsets, weights + (long)block * taps * ChannelTile, planes,
            (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(vectorStore)),
            image + (long)k0 * outH * outW, (nint)outH * outW, bias == null ? null : bias + k0, accumulate);
        int group = count > 4 ? 3 : 4, whole = vectors / group * group;
        if (group == 3)
        {
            ForwardChannels<R3>(count, tile, 0, whole);
        }
        else
        {
            ForwardChannels<R4>(count, tile, 0, whole);
        }

        ForwardChannels<R1>(count, tile, whole, vectors);
    }

    private static void ForwardChannels<TV>(int count, in Tile t, int first, int end)
        where TV : struct, IConstant
    {
        if (first >= end)
        {
            return;
        }

        switch (count)
        {
            case 8: ForwardTiles<R8, TV>(t, first, end); break;
            case 7: ForwardTiles<R7, TV>(t, first, end); break;
            case 6: ForwardTiles<R6, TV>(t, first, end); break;
            case 5: ForwardTiles<R5, TV>(t, first, end); break;
            case 4: ForwardTiles<R4, TV>(t, first, end); break;
            case 3: ForwardTiles<R3, TV>(t, first, end); break;
            case 2: ForwardTiles<R2, TV>(t, first, end); break;
            default: ForwardTiles<R1, TV>(t, first, end); break;
        }
    }

    private readonly struct Tile(
        int taps, int* offsets, float* weights, float* planes, int* vectors, float* output, nint channelStride,
        float* bias, bool accumulate)
    {
        public readonly int Taps = taps;
        public readonly int* Offsets = offsets;
        public readonly float* Weights = weights;
        public readonly float* Planes = planes;
        public readonly int* Vectors = vectors;
        public readonly float* Output = output;
        public readonly nint ChannelStride = channelStride;
        public readonly float* Bias = bias;
        public readonly bool Accumulate = accumulate;

        // Pixel vector v: where its taps start in the planes, where its first channel's first live output goes,
        // and which lanes are live (not always the first ones: see Describe).
        public float* Input(int v, out float* output, out Vector512<float> mask)
        {
            var entry = Vectors + 3 * v;
            output = Output + entry[1];
            mask = Vector512.Equals(Vector512.Create(entry[2]) & LaneBits, LaneBits).AsSingle();
            return Planes + entry[0];
        }
    }

    private static Vector512<int> LaneBits => Vector512.Create(
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);

    // Pixel vectors [first, end) in groups of TV, TK output channels each: out[k][v] (+)= bias[k] + sum_t
    // weights[t][k] * in_v[offsets[t]].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardTiles<TK, TV>(in Tile tile, int first, int end)
        where TK : struct, IConstant
        where TV : struct, IConstant
    {
        int k = TK.Value, nv = TV.Value;
        int* offsets = tile.Offsets;
        int taps = tile.Taps;
        for (var v = first; v < end; v += nv)
        {
            float* in0 = tile.Input(v, out var out0, out var mask0);
            float* in1 = in0, out1 = out0, in2 = in0, out2 = out0, in3 = in0, out3 = out0;
            Vector512<float> mask1 = mask0, mask2 = mask0, mask3 = mask0;
            if (nv > 1) in1 = tile.Input(v + 1, out out1, out mask1);
            if (nv > 2) in2 = tile.Input(v + 2, out out2, out mask2);
            if (nv > 3) in3 = tile.Input(v + 3, out out3, out mask3);
            Vector512<float> c0x0 = default, c0x1 = default, c0x2 = default, c0x3 = default;
            Vector512<float> c1x0 = default, c1x1 = default, c1x2 = default, c1x3 = default;
            Vector512<float> c2x0 = default, c2x1 = default, c2x2 = default, c2x3 = default;
            Vector512<float> c3x0 = default, c3x1 = default, c3x2 = default, c3x3 = default;
            Vector512<float> c4x0 = default, c4x1 = default, c4x2 = default, c4x3 = default;
            Vector512<float> c5x0 = default, c5x1 = default, c5x2 = default, c5x3 = default;
            Vector512<float> c6x0 = default, c6x1 = default, c6x2 = default, c6x3 = default;
            Vector512<float> c7x0 = default, c7x1 = default, c7x2 = default, c7x3 = default;
            float* w = tile.Weights;
            for (var t = 0; t < taps; t++, w += ChannelTile)
            {
                int offset = offsets[t];
                Vector512<float> x0 = Vector512.Load(in0 + offset);
                Vector512<float> x1 = nv > 1 ? Vector512.Load(in1 + offset) : default;
                Vector512<float> x2 = nv > 2 ? Vector512.Load(in2 + offset) : default;
                Vector512<float> x3 = nv > 3 ? Vector512.Load(in3 + offset) : default;
                Vector512<float> wk;
                wk = Vector512.Create(w[0]);
                c0x0 = Avx512F.FusedMultiplyAdd(x0, wk, c0x0);
                if (nv > 1) c0x1 = Avx512F.FusedMultiplyAdd(x1, wk, c0x1);
                if (nv > 2) c0x2 = Avx512F.FusedMultiplyAdd(x2, wk, c0x2);
                if (nv > 3) c0x3 = Avx512F.FusedMultiplyAdd(x3, wk, c0x3);

                if (k > 1)
                {
                    wk = Vector512.Create(w[1]);
                    c1x0 = Avx512F.FusedMultiplyAdd(x0, wk, c1x0);
                    if (nv > 1) c1x1 = Avx512F.FusedMultiplyAdd(x1, wk, c1x1);
                    if (nv > 2) c1x2 = Avx512F.FusedMultiplyAdd(x2, wk, c1x2);
                    if (nv > 3) c1x3 = Avx512F.FusedMultiplyAdd(x3, wk, c1x3);
                }

                if (k > 2)
                {
                    wk = Vector512.Create(w[2]);
                    c2x0 = Avx512F.FusedMultiplyAdd(x0, wk, c2x0);
                    if (nv > 1) c2x1 = Avx512F.FusedMultiplyAdd(x1, wk, c2x1);
                    if (nv > 2) c2x2 = Avx512F.FusedMultiplyAdd(x2, wk, c2x2);
                    if (nv > 3) c2x3 = Avx512F.FusedMultiplyAdd(x3, wk, c2x3);
                }

                if (k > 3)
                {
                    wk = Vector512.Create(w[3]);
                    c3x0 = Avx512F.FusedMultiplyAdd(x0, wk, c3x0);
                    if (nv > 1) c3x1 = Avx512F.FusedMultiplyAdd(x1, wk, c3x1);
                    if (nv > 2) c3x2 = Avx512F.FusedMultiplyAdd(x2, wk, c3x2);
                    if (nv > 3) c3x3 = Avx512F.FusedMultiplyAdd(x3, wk, c3x3);
                }

                if (k > 4)
                {
                    wk = Vector512.Create(w[4]);
                    c4x0 = Avx512F.FusedMultiplyAdd(x0, wk, c4x0);
                    if (nv > 1) c4x1 = Avx512F.FusedMultiplyAdd(x1, wk, c4x1);
                    if (nv > 2) c4x2 = Avx512F.FusedMultiplyAdd(x2, wk, c4x2);
                    if (nv > 3) c4x3 = Avx512F.FusedMultiplyAdd(x3, wk, c4x3);
                }

                if (k > 5)
                {
                    wk = Vector512.Create(w[5]);
                    c5x0 = Avx512F.FusedMultiplyAdd(x0, wk, c5x0);
                    if (nv > 1) c5x1 = Avx512F.FusedMultiplyAdd(x1, wk, c5x1);
                    if (nv > 2) c5x2 = Avx512F.FusedMultiplyAdd(x2, wk, c5x2);
                    if (nv > 3) c5x3 = Avx512F.FusedMultiplyAdd(x3, wk, c5x3);
                }

                if (k > 6)
                {
                    wk = Vector512.Create(w[6]);
                    c6x0 = Avx512F.FusedMultiplyAdd(x0, wk, c6x0);
                    if (nv > 1) c6x1 = Avx512F.FusedMultiplyAdd(x1, wk, c6x1);
                    if (nv > 2) c6x2 = Avx512F.FusedMultiplyAdd(x2, wk, c6x2);
                    if (nv > 3) c6x3 = Avx512F.FusedMultiplyAdd(x3, wk, c6x3);
                }

                if (k > 7)
                {
                    wk = Vector512.Create(w[7]);
                    c7x0 = Avx512F.FusedMultiplyAdd(x0, wk, c7x0);
                    if (nv > 1) c7x1 = Avx512F.FusedMultiplyAdd(x1, wk, c7x1);
                    if (nv > 2) c7x2 = Avx512F.FusedMultiplyAdd(x2, wk, c7x2);
                    if (nv > 3) c7x3 = Avx512F.FusedMultiplyAdd(x3, wk, c7x3);
                }
            }

            Store(tile, 0, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c0x0, c0x1, c0x2, c0x3);
            if (k > 1) Store(tile, 1, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c1x0, c1x1, c1x2, c1x3);
            if (k > 2) Store(tile, 2, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c2x0, c2x1, c2x2, c2x3);
            if (k > 3) Store(tile, 3, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c3x0, c3x1, c3x2, c3x3);
            if (k > 4) Store(tile, 4, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c4x0, c4x1, c4x2, c4x3);
            if (k > 5) Store(tile, 5, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c5x0, c5x1, c5x2, c5x3);
            if (k > 6) Store(tile, 6, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c6x0, c6x1, c6x2, c6x3);
            if (k > 7) Store(tile, 7, nv, out0, out1, out2, out3, mask0, mask1, mask2, mask3, c7x0, c7x1, c7x2, c7x3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(
        in Tile tile, int channel, int nv, float* out0, float* out1, float* out2, float* out3, Vector512<float> mask0,
        Vector512<float> mask1, Vector512<float> mask2, Vector512<float> mask3, Vector512<float> v0,
        Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        var offset = channel * tile.ChannelStride;
        StoreVector(out0 + offset, v0, mask0, tile, channel);
        if (nv > 1) StoreVector(out1 + offset, v1, mask1, tile, channel);
        if (nv > 2) StoreVector(out2 + offset, v2, mask2, tile, channel);
        if (nv > 3) StoreVector(out3 + offset, v3, mask3, tile, channel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector(float* p, Vector512<float> v, Vector512<float> mask, in Tile tile, int channel)
    {
        // The live lanes move to the front (already there unless the vector spans two output rows), then go to
        // consecutive outputs.
        v = Avx512F.Compress(Vector512<float>.Zero, mask, v);
        mask = LaneMask(BitOperations.PopCount(mask.ExtractMostSignificantBits()));
        if (tile.Accumulate)
        {
            v += Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
        }
        else if (tile.Bias != null)
        {
            v += Vector512.Create(tile.Bias[channel]);
        }

        Avx512F.MaskStore(p, mask, v);
    }

    // One worker's fixed range of images: partial = [dw | db] summed over them, a chunk of images at a time.
    private void FilterRange(int part, int worker)
    {
        var partial = partials + (long)part * partialLength;
        new Span<float>(partial, partialLength).Clear();
        var lanes = lanePartials + (long)part * taps * channelsOut * Lanes;
        new Span<float>(lanes, taps * channelsOut * Lanes).Clear();
        int first = part * images / partitions, end = (part + 1) * images / partitions;
        var planes = scratch.ForWorker(worker, chunk * planeLength);
        long pq = (long)outH * outW;
        for (var n = first; n < end; n += chunk)
        {
            var count = Math.Min(chunk, end - n);
            for (var i = 0; i < count; i++)
            {
                Prepare(source + (n + i) * sourceImage, planes + (long)i * planeLength);
            }

            FilterChunk(planes, dOutput + n * outputImage, count, lanes);
            if (dBias != null)
            {
                for (var i = 0; i < count; i++)
                {
                    var dy = dOutput + (n + i) * outputImage;
                    for (var k = 0; k < channelsOut; k++)
                    {
                        partial[taps * channelsOut + k] += PartialSums.Sum(dy + k * pq, (int)pq);
                    }
                }
            }
        }

        // Each weight's sixteen lane sums, added across once per range rather than once per chunk.
        for (var i = 0; i < taps * channelsOut; i++)
        {
            partial[i] = Vector512.Sum(Vector512.Load(lanes + (long)i * Lanes));
        }
    }

    // lanes[k, t, 0..15] += the chunk's images and pixels of dy[k] * planes at tap t, summed per lane, in register
    // tiles of up to 4 channels x 6 taps; blocks are split evenly so that 6 channels run as 3 + 3 rather than 4 + 2.
    private void FilterChunk(float* planes, float* dy, int count, float* lanes)
    {
        int kBlocks = (channelsOut + FilterChannels - 1) / FilterChannels;
        int tBlocks = (taps + FilterTaps - 1) / FilterTaps;
        var offsets = TapOffsets;
        var tail = LaneMask(outW - (qBlocks - 1) * Lanes);
        for (var kb = 0; kb < kBlocks; kb++)
        {
            int k0 = kb * channelsOut / kBlocks, k1 = (kb + 1) * channelsOut / kBlocks;
            for (var tb = 0; tb < tBlocks; tb++)
            {
                int t0 = tb * taps / tBlocks, t1 = (tb + 1) * taps / tBlocks;
                var job = new FilterTile(planes, planeLength, dy + k0 * (long)outH * outW, outputImage,
                    (nint)outH * outW, count, outH, outW, qBlocks, strideH * planeW, offsets + t0, tail,
                    lanes + ((long)k0 * taps + t0) * Lanes, taps);
                FilterTileChannels(k1 - k0, t1 - t0, job);
            }
        }
    }

    private static void FilterTileChannels(int channels, int tapCount, in FilterTile job)
    {
        switch (channels)
        {
            case 4: FilterTileTaps<R4>(tapCount, job); break;
            case 3: FilterTileTaps<R3>(tapCount, job); break;
            case 2: FilterTileTaps<R2>(tapCount, job); break;
            default: FilterTileTaps<R1>(tapCount, job); break;
        }
    }

    private static void FilterTileTaps<TK>(int tapCount, in FilterTile job)
        where TK : struct, IConstant
    {
        switch (tapCount)
        {
            case 6: FilterKernel<TK, R6>(job); break;
            case 5: FilterKernel<TK, R5>(job); break;
            case 4: FilterKernel<TK, R4>(job); break;
            case 3: FilterKernel<TK, R3>(job); break;
            case 2: FilterKernel<TK, R2>(job); break;
            default: FilterKernel<TK, R1>(job); break;
        }
    }

    private readonly struct FilterTile(
        float* planes, int planeLength, float* dy, long dyImage, nint dyChannel, int images, int outH, int outW,
        int qBlocks, int rowStep, int* offsets, Vector512<float> tail, float* partial, int taps)
    {
        public readonly float* Planes = planes;
        public readonly int PlaneLength = planeLength;
        public readonly float* Dy = dy;
        public readonly long DyImage = dyImage;
        public readonly nint DyChannel = dyChannel;
        public readonly int Images = images;
        public readonly int OutH = outH;
        public readonly int OutW = outW;
        public readonly int QBlocks = qBlocks;
        public readonly int RowStep = rowStep;
        public readonly int* Offsets = offsets;
        public readonly Vector512<float> Tail = tail;
        public readonly float* Partial = partial;
        public readonly int Taps = taps;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterKernel<TK, TT>(in FilterTile job)
        where TK : struct, IConstant
        where TT : struct, IConstant
    {
        int kc = TK.Value, tc = TT.Value;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default, a35 = default;
        int o0 = job.Offsets[0];
        int o1 = tc > 1 ? job.Offsets[1] : 0, o2 = tc > 2 ? job.Offsets[2] : 0, o3 = tc > 3 ? job.Offsets[3] : 0;
        int o4 = tc > 4 ? job.Offsets[4] : 0, o5 = tc > 5 ? job.Offsets[5] : 0;
        nint ch = job.DyChannel;
        for (var i = 0; i < job.Images; i++)
        {
            var planes = job.Planes + (long)i * job.PlaneLength;
            var dyImage = job.Dy + i * job.DyImage;
            for (var p = 0; p < job.OutH; p++)
            {
                var xRow = planes + p * job.RowStep;
                var dyRow = dyImage + p * job.OutW;
                for (var b = 0; b < job.QBlocks; b++)
                {
                    var mask = b == job.QBlocks - 1 ? job.Tail : Vector512<float>.AllBitsSet;
                    var x = xRow + b * Lanes;
                    var d = dyRow + b * Lanes;
                    Vector512<float> d0 = Avx512F.MaskLoad(d, mask, Vector512<float>.Zero);
                    Vector512<float> d1 = kc > 1 ? Avx512F.MaskLoad(d + ch, mask, Vector512<float>.Zero) : default;
                    Vector512<float> d2 = kc > 2 ? Avx512F.MaskLoad(d + 2 * ch, mask, Vector512<float>.Zero)
                        : default;
                    Vector512<float> d3 = kc > 3 ? Avx512F.MaskLoad(d + 3 * ch, mask, Vector512<float>.Zero)
                        : default;
                    Vector512<float> v = Vector512.Load(x + o0);
                    a00 = Avx512F.FusedMultiplyAdd(d0, v, a00);
                    if (kc > 1) a10 = Avx512F.FusedMultiplyAdd(d1, v, a10);
                    if (kc > 2) a20 = Avx512F.FusedMultiplyAdd(d2, v, a20);
                    if (kc > 3) a30 = Avx512F.FusedMultiplyAdd(d3, v, a30);
                    if (tc > 1)
                    {
                        v = Vector512.Load(x + o1);
                        a01 = Avx512F.FusedMultiplyAdd(d0, v, a01);
                        if (kc > 1) a11 = Avx512F.FusedMultiplyAdd(d1, v, a11);
                        if (kc > 2) a21 = Avx512F.FusedMultiplyAdd(d2, v, a21);
                        if (kc > 3) a31 = Avx512F.FusedMultiplyAdd(d3, v, a31);
                    }

                    if (tc > 2)
                    {
                        v = Vector512.Load(x + o2);
                        a02 = Avx512F.FusedMultiplyAdd(d0, v, a02);
                        if (kc > 1) a12 = Avx512F.FusedMultiplyAdd(d1, v, a12);
                        if (kc > 2) a22 = Avx512F.FusedMultiplyAdd(d2, v, a22);
                        if (kc > 3) a32 = Avx512F.FusedMultiplyAdd(d3, v, a32);
                    }

                    if (tc > 3)
                    {
                        v = Vector512.Load(x + o3);
                        a03 = Avx512F.FusedMultiplyAdd(d0, v, a03);
                        if (kc > 1) a13 = Avx512F.FusedMultiplyAdd(d1, v, a13);
                        if (kc > 2) a23 = Avx512F.FusedMultiplyAdd(d2, v, a23);
                        if (kc > 3) a33 = Avx512F.FusedMultiplyAdd(d3, v, a33);
                    }

                    if (tc > 4)
                    {
                        v = Vector512.Load(x + o4);
                        a04 = Avx512F.FusedMultiplyAdd(d0, v, a04);
                        if (kc > 1) a14 = Avx512F.FusedMultiplyAdd(d1, v, a14);
                        if (kc > 2) a24 = Avx512F.FusedMultiplyAdd(d2, v, a24);
                        if (kc > 3) a34 = Avx512F.FusedMultiplyAdd(d3, v, a34);
                    }

                    if (tc > 5)
                    {
                        v = Vector512.Load(x + o5);
                        a05 = Avx512F.FusedMultiplyAdd(d0, v, a05);
                        if (kc > 1) a15 = Avx512F.FusedMultiplyAdd(d1, v, a15);
                        if (kc > 2) a25 = Avx512F.FusedMultiplyAdd(d2, v, a25);
                        if (kc > 3) a35 = Avx512F.FusedMultiplyAdd(d3, v, a35);
                    }
                }
            }
        }

        var row = job.Partial;
        var channel = (nint)job.Taps * Lanes;
        AddLanes(row, tc, a00, a01, a02, a03, a04, a05);
        if (kc > 1) AddLanes(row + channel, tc, a10, a11, a12, a13, a14, a15);
        if (kc > 2) AddLanes(row + 2 * channel, tc, a20, a21, a22, a23, a24, a25);
        if (kc > 3) AddLanes(row + 3 * channel, tc, a30, a31, a32, a33, a34, a35);
    }

    // The tile's sums stay sixteen lanes wide until the range is done: a horizontal sum per tile and chunk cost
    // as much as a quarter of the tile's multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddLanes(
        float* row, int count, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5)
    {
        (Vector512.Load(row) + v0).Store(row);
        if (count > 1) (Vector512.Load(row + Lanes) + v1).Store(row + Lanes);
        if (count > 2) (Vector512.Load(row + 2 * Lanes) + v2).Store(row + 2 * Lanes);
        if (count > 3) (Vector512.Load(row + 3 * Lanes) + v3).Store(row + 3 * Lanes);
        if (count > 4) (Vector512.Load(row + 4 * Lanes) + v4).Store(row + 4 * Lanes);
        if (count > 5) (Vector512.Load(row + 5 * Lanes) + v5).Store(row + 5 * Lanes);
    }

    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();

}
