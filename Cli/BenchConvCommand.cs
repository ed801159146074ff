using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Kernels.OpenCL;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn bench-conv</c>: the OpenCL convolution's two algorithms, implicit GEMM and im2col + GEMM,
/// timed on the same layers for forward, backward-data and backward-weight. The two run alternately, one timed
/// call each in turn, so that a shared machine's changing load falls on both alike; medians are reported.</summary>
internal static class BenchConvCommand
{
    private static readonly (string Name, Conv2dGeometry Geometry)[] Layers =
    [
        ("lenet5.conv1 1->6 5x5 p2 28x28", new(64, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2,
            PadRight: 2)),
        ("lenet5.conv2 6->16 5x5 14x14", new(64, 6, 14, 14, 16, 5, 5)),
        ("exercise.conv1 1->64 3x3 s2 28x28", new(64, 1, 28, 28, 64, 3, 3, StrideH: 2, StrideW: 2)),
        ("exercise.conv2 64->32 2x2 same 13x13", new(64, 64, 13, 13, 32, 2, 2, PadBottom: 1, PadRight: 1)),
        ("vgg 64->64 3x3 p1 32x32", new(64, 64, 32, 32, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1,
            PadRight: 1)),
    ];

    public static Command Create()
    {
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed calls per op and algorithm (median reported)",
            DefaultValueFactory = _ => 9,
        }.AtLeast(1);
        var batch = CommonOptions.BatchSize("Images per call");
        var command = new Command("bench-conv", "Compare the OpenCL convolution algorithms per layer, in ms")
        {
            repeats, batch,
        };
        command.SetAction(parse =>
        {
            using var implicitGemm = new OpenCLAccelerator(OpenCLConvolution.ImplicitGemm);
            using var im2col = new OpenCLAccelerator(OpenCLConvolution.Im2col);
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine($"{implicitGemm.Name}; median ms of {parse.GetValue(repeats)} calls, implicit / im2col");
            foreach (var (name, shape) in Layers)
            {
                var g = shape with { N = parse.GetValue(batch) };
                var a = new Layer(implicitGemm, g);
                var b = new Layer(im2col, g);
                var cells = new List<string>();
                foreach (var op in new[] { "fwd", "bwd-data", "bwd-weight" })
                {
                    var (ta, tb) = (new List<double>(), new List<double>());
                    a.Time(op);
                    b.Time(op);
                    for (var r = 0; r < parse.GetValue(repeats); r++)
                    {
                        ta.Add(a.Time(op));
                        tb.Add(b.Time(op));
                    }

                    cells.Add(string.Create(c, $"{op} {Median(ta),7:F2} / {Median(tb),7:F2}"));
                }

                Console.WriteLine($"{name,-38} {string.Join("   ", cells)}");
                a.Release();
                b.Release();
            }

            return 0;
        });
        return command;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    // One layer's buffers on one accelerator, filled with fixed pseudo-random values.
    private sealed class Layer
    {
        private readonly Accelerator accelerator;
        private readonly Conv2dGeometry g;
        private readonly DeviceBuffer x, w, b, y, dy, dx, dw;

        public Layer(Accelerator accelerator, Conv2dGeometry g)
        {
            this.accelerator = accelerator;
            this.g = g;
            var random = new SeededRandom(5);
            DeviceBuffer Random(int length)
            {
                var host = new float[length];
                for (var i = 0; i < length; i++)
                {
                    host[i] = random.NextUniform(-1f, 1f);
                }

                var buffer = accelerator.Allocate(length);
                accelerator.CopyFromHost(host, buffer);
                return buffer;
            }

            (x, w, b, dy) = (Random(g.InputLength), Random(g.WeightLength), Random(g.K), Random(g.OutputLength));
            (y, dx, dw) = (Random(g.OutputLength), Random(g.InputLength), Random(g.WeightLength));
        }

        public double Time(string op)
        {
            accelerator.Synchronize();
            var clock = Stopwatch.StartNew();
            switch (op)
            {
                case "fwd":
                    accelerator.Conv2dForward(g, x, w, b, y);
                    break;
                case "bwd-data":
                    accelerator.Conv2dBackwardData(g, dy, w, dx);
                    break;
                default:
                    accelerator.Conv2dBackwardFilter(g, x, dy, dw, null);
                    break;
            }

            accelerator.Synchronize();
            return clock.Elapsed.TotalMilliseconds;
        }

        public void Release()
        {
            foreach (var buffer in new[] { x, w, b, y, dy, dx, dw })
            {
                buffer.Release();
            }
        }
    }
}
