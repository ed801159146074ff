using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Max or average pooling over (kernel, stride, padding) windows.</summary>
    public sealed class Pool2dNode : Node
    {
        internal Pool2dNode(Node input, bool max, int kernel, int stride, int padding, bool ceilMode = false,
            bool countIncludePad = true)
            : base(input)
        {
            CeilMode = ceilMode;
            CountIncludePad = countIncludePad;
            IsMax = max;
            KernelSize = kernel;
            Stride = stride;
            PaddingSize = padding;
        }

        /// <summary>True for max pooling, false for average.</summary>
        public bool IsMax { get; }

        /// <summary>Window side.</summary>
        public int KernelSize { get; }

        /// <summary>Step between windows.</summary>
        public int Stride { get; }

        /// <summary>Implicit padding on every side.</summary>
        public int PaddingSize { get; }

        /// <summary>True when the output size rounds up (PyTorch's ceil_mode), so a last window may hang over the edge.
        /// </summary>
        public bool CeilMode { get; }

        /// <summary>For average pooling: true when the divisor counts the padding inside the window (PyTorch's
        /// count_include_pad, its default), false when it counts only the cells inside the input.</summary>
        public bool CountIncludePad { get; }

        /// <summary>The geometry for one sample, known once built.</summary>
        public Pool2dGeometry Geometry { get; private set; }

        /// <inheritdoc />
        public override string Kind => IsMax ? "MaxPool2d" : "AvgPool2d";

        internal override (int Field, int Jump) ReceptiveField(int field, int jump, int whole) =>
            (field + (KernelSize - 1) * jump, jump * Stride);

        /// <inheritdoc />
        public override string Describe() =>
            $"{KernelSize}x{KernelSize}/{Stride}" + (PaddingSize > 0 ? $" pad {PaddingSize}" : "") +
            (CeilMode ? " ceil" : "") + (!IsMax && !CountIncludePad && PaddingSize > 0 ? " exclude pad" : "");

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var x = inputs[0];
            if (x.Rank != 3)
            {
                throw ShapeError(inputs, $"{Kind} needs a (C, H, W) input.");
            }

            if (PaddingSize * 2 > KernelSize)
            {
                throw ShapeError(inputs, $"padding {PaddingSize} is more than half the kernel {KernelSize}.");
            }

            var g = new Pool2dGeometry(1, x[0], x[1], x[2], KernelSize, KernelSize, Stride, Stride, PaddingSize,
                PaddingSize, CeilMode, CountIncludePad);
            if (g.P < 1 || g.Q < 1)
            {
                throw ShapeError(inputs,
                    $"output would be {g.P}x{g.Q}: floor((N + 2P - F)/S) + 1 = floor(({x[1]} + {2 * PaddingSize} - " +
                    $"{KernelSize})/{Stride}) + 1 = {g.P}.");
            }

            Geometry = g;
            return new Shape(x[0], g.P, g.Q);
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var g = Geometry with { N = context.Batch };
            if (IsMax)
            {
                context.Accelerator.MaxPool2dForward(g, In(0), Output);
            }
            else
            {
                context.Accelerator.AvgPool2dForward(g, In(0), Output);
            }
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is not { } dx)
            {
                return;
            }

            var g = Geometry with { N = context.Batch };
            if (IsMax)
            {
                context.Accelerator.MaxPool2dBackward(g, In(0), OutGrad, dx);
            }
            else
            {
                context.Accelerator.AvgPool2dBackward(g, OutGrad, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Max pooling; the stride defaults to the kernel size; <paramref name="ceilMode"/> rounds the output
        /// size up as PyTorch's ceil_mode does.</summary>
        public Node MaxPool2d(Node x, int kernel, int? stride = null, int padding = 0, string? name = null,
            bool ceilMode = false) =>
            Register(new Pool2dNode(x, true, kernel, CheckedStride(kernel, stride), padding, ceilMode), name, "pool");

        /// <summary>Average pooling; the stride defaults to the kernel size; <paramref name="ceilMode"/> rounds the
        /// output size up as PyTorch's ceil_mode does; <paramref name="countIncludePad"/> false divides each window
        /// by its cells inside the input rather than by its area including the padding (PyTorch's
        /// count_include_pad).</summary>
        public Node AvgPool2d(Node x, int kernel, int? stride = null, int padding = 0, string? name = null,
            bool ceilMode = false, bool countIncludePad = true) =>
            Register(new Pool2dNode(x, false, kernel, CheckedStride(kernel, stride), padding, ceilMode,
                countIncludePad), name, "pool");

        private static int CheckedStride(int kernel, int? stride)
        {
            var s = stride ?? kernel;
            return kernel >= 1 && s >= 1
                ? s
                : throw new GraphException($"Pooling needs a positive kernel and stride, got {kernel} and {s}.");
        }
    }

    /// <summary>Max pooling; the stride defaults to the kernel.</summary>
    public sealed record MaxPool2d(int Kernel, int? Stride = null, int Padding = 0) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.MaxPool2d(x, Kernel, Stride, Padding, name);
    }

    /// <summary>Average pooling; the stride defaults to the kernel; <c>CountIncludePad: false</c> divides by the
    /// window's cells inside the input, as PyTorch's count_include_pad=False.</summary>
    public sealed record AvgPool2d(int Kernel, int? Stride = null, int Padding = 0, bool CountIncludePad = true)
        : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.AvgPool2d(x, Kernel, Stride, Padding, name, countIncludePad: CountIncludePad);
    }
}
