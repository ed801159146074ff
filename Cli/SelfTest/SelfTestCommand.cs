using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

/// <summary>
/// <c>gpucnn selftest --device D</c>: every op and its gradients on device D against the managed CPU backend, on a
/// small and a large shape each, with one verdict line per op and a non-zero exit code when any op fails. For
/// users checking a new GPU, and the check that travels to a GPU machine.
/// </summary>
/// <remarks>Outputs must agree as <c>|d - c| &lt;= atol + rtol * |c|</c> (atol 1e-4, rtol 1e-3, both scaled by
/// the square root of a reduction's length), c the CPU backend's value: different summation orders on a GPU
/// round differently, never by more.</remarks>
internal static partial class SelfTestCommand
{
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    public static Command Create()
    {
        var device = CommonOptions.Device();
        var smallOnly = new Option<bool>("--small-only") { Description = "Skip the large shapes" };
        var command = new Command("selftest",
            "Check every op and its gradients on a device against the managed CPU backend")
        {
            device, smallOnly,
        };
        command.SetAction(parse => Run(parse.GetValue(device)!, parse.GetValue(smallOnly)));
        return command;
    }

    private static int Run(string deviceName, bool smallOnly)
    {
        using var device = Devices.Open(deviceName);
        using var cpu = new CpuAccelerator();
        Console.WriteLine($"selftest on {device.Name} against {cpu.Name}");
        var failed = 0;
        foreach (var (op, check) in Checks)
        {
            var started = DateTime.UtcNow;
            string verdict;
            try
            {
                var worst = 0.0;
                foreach (var large in smallOnly ? [false] : new[] { false, true })
                {
                    worst = Math.Max(worst, check(new Pair(cpu, device, large)));
                }

                verdict = string.Create(CultureInfo.InvariantCulture,
                    $"PASS  {op,-20} worst error {worst:F3} of the tolerance");
            }
            catch (Exception e) when (e is SelfTestMismatch or NotImplementedException or ArgumentException
                or InvalidOperationException or DeviceMemoryException)
            {
                failed++;
                verdict = $"FAIL  {op,-20} {e.Message}";
            }

            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verdict} ({seconds:F1} s)"));
        }

        Console.WriteLine(failed == 0 ? $"selftest passed: {Checks.Length} ops" : $"selftest FAILED: {failed} of " +
            $"{Checks.Length} ops");
        return failed == 0 ? 0 : 1;
    }

    private static readonly (string Op, Func<Pair, double> Check)[] Checks =
    [
        ("Buffers", Buffers),
        ("Activation Relu", p => Activation(p, ActivationKind.Relu)),
        ("Activation Tanh", p => Activation(p, ActivationKind.Tanh)),
        ("Activation Sigmoid", p => Activation(p, ActivationKind.Sigmoid)),
        ("Activation Gelu", p => Activation(p, ActivationKind.Gelu)),
        ("Activation Silu", p => Activation(p, ActivationKind.Silu)),
        ("LeakyReLU", LeakyRelu),
        ("LogSoftmax", LogSoftmax),
        ("Softmax", Softmax),
        ("SoftmaxCrossEntropy", Loss),
        ("Dropout", Dropout),
        ("Optimizers", Optimizers),
        ("Bias", Bias),
        ("Concat", Concat),
        ("Pad2d", Pad2d),
        ("Gemm", Gemm),
        ("Conv2d", Conv2d),
        ("MaxPool2d", p => Pool(p, max: true)),
        ("AvgPool2d", p => Pool(p, max: false)),
        ("AvgPool2d exclude pad", p => Pool(p, max: false, includePad: false)),
        ("Upsample2d", Upsample2d),
        ("BatchNorm", BatchNorm),
        ("LRN", Lrn),
    ];
}
