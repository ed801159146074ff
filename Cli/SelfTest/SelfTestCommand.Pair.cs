using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

// The comparison of one check's outputs on the device and on the CPU backend.
internal static partial class SelfTestCommand
{
    /// <summary>The two accelerators and the shape size of one round; each check returns the worst ratio of
    /// error to tolerance it saw (at most 1 when it passes).</summary>
    internal sealed record Pair(Accelerator Cpu, Accelerator Device, bool Large)
    {
        public int Pick(int small, int large) => Large ? large : small;

        /// <summary>Runs <paramref name="body"/> on both accelerators and compares every output it returns;
        /// <paramref name="reduction"/> is the longest sum behind one output, which scales the tolerance.</summary>
        public double Compare(string what, Func<Accelerator, DeviceBuffer[]> body, int reduction = 1)
        {
            var expected = Read(Cpu, body);
            var actual = Read(Device, body);
            var scale = Math.Sqrt(Math.Max(reduction, 1));
            var worst = 0.0;
            for (var o = 0; o < expected.Length; o++)
            {
                for (var i = 0; i < expected[o].Length; i++)
                {
                    double c = expected[o][i], d = actual[o][i];
                    var tolerance = (Atol + Rtol * Math.Abs(c)) * scale;
                    var ratio = double.IsNaN(c) && double.IsNaN(d) ? 0 : Math.Abs(d - c) / tolerance;
                    if (!(ratio <= 1))
                    {
                        throw new SelfTestMismatch(string.Create(CultureInfo.InvariantCulture,
                            $"{what} ({(Large ? "large" : "small")}): output {o} element {i} is {d:G9} on the " +
                            $"device, {c:G9} on the CPU"));
                    }

                    worst = Math.Max(worst, ratio);
                }
            }

            return worst;
        }

        private static float[][] Read(Accelerator acc, Func<Accelerator, DeviceBuffer[]> body)
        {
            var buffers = body(acc);
            var result = buffers.Select(b => b.ToArray()).ToArray();
            foreach (var b in buffers.Distinct())
            {
                b.Release();
            }

            return result;
        }
    }

    internal sealed class SelfTestMismatch(string message) : Exception(message);
}
