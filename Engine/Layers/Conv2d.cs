using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Kernels;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>
    /// 2-D convolution: weight (K, C/groups, R, S), optional bias (K). With a padding mode other than zeros the input
    /// is first padded into a buffer of the node's own (as PyTorch's padding_mode does) and the convolution runs
    /// unpadded on it.
    /// </summary>
    public sealed class Conv2dNode : Node
    {
        private DeviceBuffer? padded;
        private DeviceBuffer? paddedGrad;

        internal Conv2dNode(Node input, int outChannels, int kernelH, int kernelW, int strideH, int strideW,
            Padding2d padding, int dilationH, int dilationW, int groups, bool bias,
            PaddingMode paddingMode = PaddingMode.Zeros, float paddingValue = 0f)
            : base(input)
        {
            PaddingMode = paddingMode;
            PaddingValue = paddingValue;
            OutChannels = outChannels;
            KernelH = kernelH;
            KernelW = kernelW;
            StrideH = strideH;
            StrideW = strideW;
            Padding = padding;
            DilationH = dilationH;
            DilationW = dilationW;
            Groups = groups;
            HasBias = bias;
        }

        /// <summary>Output channels K.</summary>
        public int OutChannels { get; }

        /// <summary>Kernel height R.</summary>
        public int KernelH { get; }

        /// <summary>Kernel width S.</summary>
        public int KernelW { get; }

        /// <summary>Vertical stride.</summary>
        public int StrideH { get; }

        /// <summary>Horizontal stride.</summary>
        public int StrideW { get; }

        /// <summary>The padding rule (explicit, valid or same).</summary>
        public Padding2d Padding { get; }

        /// <summary>What the padding holds: zeros unless a mode says otherwise.</summary>
        public PaddingMode PaddingMode { get; }

        /// <summary>The fill of <see cref="PaddingMode.Constant"/>.</summary>
        public float PaddingValue { get; }

        /// <summary>The explicit padding step when <see cref="PaddingMode"/> is not zeros and there is padding.
        /// </summary>
        public Pad2dGeometry? PadGeometry { get; private set; }

        /// <summary>Vertical dilation.</summary>
        public int DilationH { get; }

        /// <summary>Horizontal dilation.</summary>
        public int DilationW { get; }

        /// <summary>Channel groups.</summary>
        public int Groups { get; }

        /// <summary>Whether a bias is added.</summary>
        public bool HasBias { get; }

        /// <summary>The geometry for one sample (N = 1), known once built.</summary>
        public Conv2dGeometry Geometry { get; private set; }

        /// <inheritdoc />
        public override string Kind => "Conv2d";

        /// <inheritdoc />
        public override long MultiplyAdds => Geometry.MultiplyAdds;

        internal override (int Field, int Jump) ReceptiveField(int field, int jump, int whole) =>
            (field + (KernelH - 1) * DilationH * jump, jump * StrideH);

        /// <inheritdoc />
        public override string Describe()
        {
            var text = $"{OutChannels} {KernelH}x{KernelW}/{StrideH}";
            if (StrideW != StrideH)
            {
                text += $"x{StrideW}";
            }

            text += " " + Padding;
            if (PaddingMode != PaddingMode.Zeros)
            {
                text += " " + PaddingMode.ToString().ToLowerInvariant();
            }

            if (DilationH != 1 || DilationW != 1)
            {
                text += $" dil {DilationH}x{DilationW}";
            }

            return Groups != 1 ? text + $" groups {Groups}" : text;
        }

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var x = inputs[0];
            if (x.Rank != 3)
            {
                throw ShapeError(inputs, "Conv2d needs a (C, H, W) input.");
            }

            if (x[0] % Groups != 0 || OutChannels % Groups != 0)
            {
                throw ShapeError(inputs,
                    $"channels in {x[0]} and out {OutChannels} must both divide by groups {Groups}.");
            }

            var (top, bottom) = Padding.Resolve(x[1], KernelH, StrideH, DilationH, vertical: true);
            var (left, right) = Padding.Resolve(x[2], KernelW, StrideW, DilationW, vertical: false);
            var g = new Conv2dGeometry(1, x[0], x[1], x[2], OutChannels, KernelH, KernelW, StrideH, StrideW,
                top, left, bottom, right, DilationH, DilationW, Groups);
            if (g.P < 1 || g.Q < 1)
            {
                throw ShapeError(inputs,
                    $"output would be {g.P}x{g.Q}; floor((N + 2P - F)/S) + 1 with N={x[1]}, P={top}+{bottom}, " +
                    $"F={DilationH * (KernelH - 1) + 1}, S={StrideH} gives " +
                    $"floor(({x[1]} + {top + bottom} - {DilationH * (KernelH - 1) + 1})/{StrideH}) + 1 = {g.P}.");
            }

            PadGeometry = null;
            if (PaddingMode != PaddingMode.Zeros && top + bottom + left + right > 0)
            {
                var pad = Pad2dNode.Checked(
                    new Pad2dGeometry(1, x[0], x[1], x[2], top, left, bottom, right, PaddingMode, PaddingValue),
                    problem => ShapeError(inputs, problem));
                PadGeometry = pad;
                g = g with { H = pad.OutH, W = pad.OutW, PadTop = 0, PadLeft = 0, PadBottom = 0, PadRight = 0 };
            }

            Geometry = g;
            return new Shape(OutChannels, g.P, g.Q);
        }

        /// <inheritdoc />
        protected internal override IEnumerable<ParameterSpec> DeclareParameters()
        {
            var fanIn = Geometry.CPerGroup * KernelH * KernelW;
            yield return new ParameterSpec("weight", new Shape(OutChannels, Geometry.CPerGroup, KernelH, KernelW),
                fanIn);
            if (HasBias)
            {
                yield return new ParameterSpec("bias", new Shape(OutChannels), fanIn);
            }
        }

        /// <inheritdoc />
        protected internal override void AllocateState(Accelerator accelerator, int maxBatch)
        {
            if (PadGeometry is { } pad)
            {
                padded = accelerator.Allocate(maxBatch * pad.OutputLength);
                paddedGrad = accelerator.Allocate(maxBatch * pad.OutputLength);
            }
        }

        /// <inheritdoc />
        protected internal override void ReleaseState()
        {
            padded?.Release();
            paddedGrad?.Release();
            padded = paddedGrad = null;
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var g = Geometry with { N = context.Batch };
            var x = In(0);
            if (PadGeometry is { } pad)
            {
                context.Accelerator.Pad2dForward(pad with { N = context.Batch }, x, padded!);
                x = padded!;
            }

            context.Accelerator.Conv2dForward(g, x, Parameters[0].Value, HasBias ? Parameters[1].Value : null, Output);
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var g = Geometry with { N = context.Batch };
            var weight = Parameters[0];
            var x = PadGeometry is null ? In(0) : padded!;
            if (weight.RequiresGrad)
            {
                var bias = HasBias && Parameters[1].RequiresGrad ? Parameters[1].Grad : null;
                context.Accelerator.Conv2dBackwardFilter(g, x, OutGrad, weight.Grad, bias);
            }
            else if (HasBias && Parameters[1].RequiresGrad)
            {
                context.Accelerator.BiasAddBackward(OutGrad, Parameters[1].Grad, g.N, g.K, g.P * g.Q);
            }

            if (InGrad(0) is not { } dx)
            {
                return;
            }

            if (PadGeometry is { } pad)
            {
                var p = pad with { N = context.Batch };
                context.Accelerator.Fill(paddedGrad!, 0f);
                context.Accelerator.Conv2dBackwardData(g, OutGrad, weight.Value, paddedGrad!);
                context.Accelerator.Pad2dBackward(p, paddedGrad!, dx);
            }
            else
            {
                context.Accelerator.Conv2dBackwardData(g, OutGrad, weight.Value, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>2-D convolution with a square kernel and symmetric padding (PyTorch's Conv2d).</summary>
        public Node Conv2d(Node x, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1,
            int groups = 1, bool bias = true, string? name = null) =>
            Conv2d(x, outChannels, kernel, stride, Padding2d.Symmetric(padding), dilation, groups, bias, name);

        /// <summary>
        /// 2-D convolution with a padding rule (explicit, <c>valid</c>, <c>same</c> or <c>full</c>) and what the
        /// padding holds (<paramref name="paddingMode"/>: zeros, constant <paramref name="paddingValue"/>, replicate,
        /// reflect, symmetric or circular).
        /// </summary>
        public Node Conv2d(Node x, int outChannels, int kernel, int stride, Padding2d padding, int dilation = 1,
            int groups = 1, bool bias = true, string? name = null, PaddingMode paddingMode = PaddingMode.Zeros,
            float paddingValue = 0f)
        {
            if (outChannels < 1 || kernel < 1 || stride < 1 || dilation < 1 || groups < 1)
            {
                throw new GraphException(
                    $"Conv2d needs positive out channels, kernel, stride, dilation and groups; got {outChannels}, " +
                    $"{kernel}, {stride}, {dilation}, {groups}.");
            }

            return Register(new Conv2dNode(x, outChannels, kernel, kernel, stride, stride, padding, dilation, dilation,
                groups, bias, paddingMode, paddingValue), name, "conv");
        }
    }

    /// <summary>2-D convolution with <paramref name="OutChannels"/> filters of side <paramref name="Kernel"/>; the
    /// padding holds what <paramref name="PaddingMode"/> says (PyTorch's padding_mode).</summary>
    public sealed record Conv2d(int OutChannels, int Kernel, int Stride = 1, int Padding = 0, int Dilation = 1,
        int Groups = 1, bool Bias = true, PaddingMode PaddingMode = PaddingMode.Zeros) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Conv2d(x, OutChannels, Kernel, Stride,
            Padding2d.Symmetric(Padding), Dilation, Groups, Bias, name, PaddingMode);
    }

    /// <summary>Convolution with a padding rule (<see cref="Padding2d.Valid"/>, <see cref="Padding2d.Same"/>,
    /// <see cref="Padding2d.Full"/> or explicit amounts) holding what <paramref name="PaddingMode"/> says.</summary>
    public sealed record Conv2dPadded(int OutChannels, int Kernel, int Stride, Padding2d Padding,
        PaddingMode PaddingMode = PaddingMode.Zeros) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.Conv2d(x, OutChannels, Kernel, Stride, Padding, name: name, paddingMode: PaddingMode);
    }
}
