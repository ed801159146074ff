using GpuCnn.Kernels.Ops;
using ILGPU;
using ILGPU.Algorithms;

namespace GpuCnn.Kernels.Ilgpu
{
    // The ILGPU backend's local response normalisation (LrnIlgpuKernels): one thread per element.
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
            Launch(LrnIlgpuKernels.Forward, g.Length, View(x), View(y), View(scale), new LrnSizes(g));

        /// <inheritdoc />
        protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
            DeviceBuffer dy, DeviceBuffer dx) =>
            Launch(LrnIlgpuKernels.Backward, g.Length, View(x), View(y), View(scale), View(dy), View(dx),
                new LrnSizes(g));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>An <see cref="LrnGeometry"/> as a kernel argument.</summary>
    internal readonly struct LrnSizes(in LrnGeometry g)
    {
        public readonly int C = g.C, Inner = g.Inner, Size = g.Size, Length = g.Length;
        public readonly float Alpha = g.Alpha, Beta = g.Beta, K = g.K;
    }

    /// <summary>Local response normalisation across channels on ILGPU (PyTorch's convention, as Lrn.cl and the CPU
    /// kernel): one thread per element. x, y, scale, dy, dx:(N, C, Inner).</summary>
    internal static class LrnIlgpuKernels
    {
        // scale = k + alpha/size * (sum of x^2 over channels c - size/2 .. c + (size-1)/2 inside [0, C), in channel
        // order) and y = x * scale^-beta.
        public static void Forward(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale,
            LrnSizes s)
        {
            int i = index;
            if (i >= s.Length)
            {
                return;
            }

            var c = i / s.Inner % s.C;
            int first = IntrinsicMath.Max(c - s.Size / 2, 0), last = IntrinsicMath.Min(c + (s.Size - 1) / 2, s.C - 1);
            var column = i - c * s.Inner;
            var sum = 0.0f;
            for (var w = first; w <= last; w++)
            {
                var v = x[column + w * s.Inner];
                sum += v * v;
            }

            var sc = s.K + s.Alpha / s.Size * sum;
            scale[i] = sc;
            y[i] = x[i] * XMath.Pow(sc, -s.Beta);
        }

        // dx_j += dy_j scale_j^-beta - 2 alpha/size beta x_j * (sum of dy_c y_c / scale_c over the channels c whose
        // window holds j: c = j - (size-1)/2 .. j + size/2 inside [0, C)).
        public static void Backward(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale,
            ArrayView<float> dy, ArrayView<float> dx, LrnSizes s)
        {
            int i = index;
            if (i >= s.Length)
            {
                return;
            }

            var c = i / s.Inner % s.C;
            int first = IntrinsicMath.Max(c - (s.Size - 1) / 2, 0), last = IntrinsicMath.Min(c + s.Size / 2, s.C - 1);
            var column = i - c * s.Inner;
            var sum = 0.0f;
            for (var w = first; w <= last; w++)
            {
                var at = column + w * s.Inner;
                sum += dy[at] * y[at] / scale[at];
            }

            dx[i] += dy[i] * XMath.Pow(scale[i], -s.Beta) - 2.0f * s.Alpha / s.Size * s.Beta * x[i] * sum;
        }
    }
}
