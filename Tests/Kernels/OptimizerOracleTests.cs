using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>SGD, Adam, AdamW, Adadelta and RMSprop updates over several steps against PyTorch 1.13's rules in double
/// precision. Each step gets a fresh gradient, so state carried between steps (momentum, moments) is exercised.
/// </summary>
public sealed class OptimizerOracleTests
{
    private const int Steps = 5;

    // Parameter counts: a short tail and a length split across workers.
    private static readonly int[] Counts = [37, 70001];

    private static readonly Dictionary<string, SgdSettings> SgdCases = new()
    {
        ["plain"] = new(0.1f, 0f, 0f, 0f, false, false),
        ["momentum"] = new(0.05f, 0.9f, 0f, 0f, false, false),
        ["momentum-dampening-decay"] = new(0.05f, 0.9f, 0.1f, 0.01f, false, false),
        ["nesterov-decay"] = new(0.02f, 0.8f, 0f, 0.001f, true, false),
    };

    private static readonly Dictionary<string, AdamSettings> AdamCases = new()
    {
        ["defaults"] = new(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0),
        ["decay-fast-betas"] = new(1e-2f, 0.5f, 0.75f, 1e-6f, 0.01f, 0),
    };

    private static readonly Dictionary<string, AdadeltaSettings> AdadeltaCases = new()
    {
        ["defaults"] = new(1f, 0.9f, 1e-6f, 0f),
        ["decay"] = new(0.5f, 0.8f, 1e-5f, 0.01f),
    };

    private static readonly Dictionary<string, AdamWSettings> AdamWCases = new()
    {
        ["defaults"] = new(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0),
        ["strong-decay-fast-betas"] = new(2e-2f, 0.5f, 0.75f, 1e-6f, 0.5f, 0),
        ["no-decay"] = new(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, 0),
    };

    private static readonly Dictionary<string, RmsPropSettings> RmsPropCases = new()
    {
        ["defaults"] = new(1e-2f, 0.99f, 1e-8f, 0f, 0f, false),
        ["momentum-decay"] = new(1e-2f, 0.9f, 1e-6f, 0.05f, 0.9f, false),
        ["centered"] = new(1e-3f, 0.99f, 1e-8f, 0f, 0f, true),
        ["centered-momentum-decay"] = new(5e-3f, 0.8f, 1e-6f, 0.01f, 0.5f, true),
    };

    public static TheoryData<string, string> SgdData =>
        Accelerators.CrossOpSuite(from c in SgdCases.Keys from n in Counts select $"{c}/{n}");

    public static TheoryData<string, string> AdamData =>
        Accelerators.CrossOpSuite(from c in AdamCases.Keys from n in Counts select $"{c}/{n}");

    public static TheoryData<string, string> AdadeltaData =>
        Accelerators.CrossOpSuite(from c in AdadeltaCases.Keys from n in Counts select $"{c}/{n}");

    // The ILGPU CPU accelerator simulates every GPU thread on the host: it takes the short length only.
    public static TheoryData<string, string> AdamWData => ShortOnIlgpu(AdamWCases.Keys);

    public static TheoryData<string, string> RmsPropData => ShortOnIlgpu(RmsPropCases.Keys);

    [Theory]
    [MemberData(nameof(SgdData))]
    public void SgdMatchesPyTorchRule(string accelerator, string item)
    {
        var (name, count) = Parse(item);
        var settings = SgdCases[name];
        var model = new State(count, 2);
        using var acc = Accelerators.Create(accelerator);
        var device = model.Upload(acc);
        for (var step = 1; step <= Steps; step++)
        {
            var grad = RandomTensors.Uniform(count, 100 + step);
            var s = settings with { FirstStep = step == 1 };
            ReferenceOps.SgdStep(s, model.Param, grad.ToDouble(), model.A);
            acc.CopyFromHost(grad, device.Grad);
            acc.SgdUpdate(s, device.Param, device.Grad, device.A, count);
        }

        Compare(model, device, settings.Momentum != 0 ? 1 : 0, $"SGD {item}");
    }

    [Theory]
    [MemberData(nameof(AdamData))]
    public void AdamMatchesPyTorchRule(string accelerator, string item)
    {
        var (name, count) = Parse(item);
        var model = new State(count, 2);
        using var acc = Accelerators.Create(accelerator);
        var device = model.Upload(acc);
        for (var step = 1; step <= Steps; step++)
        {
            var grad = RandomTensors.Uniform(count, 200 + step);
            var s = AdamCases[name] with { Step = step };
            ReferenceOps.AdamStep(s, model.Param, grad.ToDouble(), model.A, model.B);
            acc.CopyFromHost(grad, device.Grad);
            acc.AdamUpdate(s, device.Param, device.Grad, device.A, device.B, count);
        }

        Compare(model, device, 2, $"Adam {item}");
    }

    [Theory]
    [MemberData(nameof(AdadeltaData))]
    public void AdadeltaMatchesPyTorchRule(string accelerator, string item)
    {
        var (name, count) = Parse(item);
        var model = new State(count, 2);
        using var acc = Accelerators.Create(accelerator);
        var device = model.Upload(acc);
        for (var step = 1; step <= Steps; step++)
        {
            var grad = RandomTensors.Uniform(count, 300 + step);
            ReferenceOps.AdadeltaStep(AdadeltaCases[name], model.Param, grad.ToDouble(), model.A, model.B);
            acc.CopyFromHost(grad, device.Grad);
            acc.AdadeltaUpdate(AdadeltaCases[name], device.Param, device.Grad, device.A, device.B, count);
        }

        Compare(model, device, 2, $"Adadelta {item}");
    }

    [Theory]
    [MemberData(nameof(AdamWData))]
    public void AdamWMatchesPyTorchRule(string accelerator, string item)
    {
        var (name, count) = Parse(item);
        var model = new State(count, 4);
        using var acc = Accelerators.Create(accelerator);
        var device = model.Upload(acc);
        for (var step = 1; step <= Steps; step++)
        {
            var grad = RandomTensors.Uniform(count, 400 + step);
            var s = AdamWCases[name] with { Step = step };
            ReferenceOps.AdamWStep(s, model.Param, grad.ToDouble(), model.A, model.B);
            acc.CopyFromHost(grad, device.Grad);
            acc.AdamWUpdate(s, device.Param, device.Grad, device.A, device.B, count);
        }

        Compare(model, device, 2, $"AdamW {item}");
    }

    [Theory]
    [MemberData(nameof(RmsPropData))]
    public void RmsPropMatchesPyTorchRule(string accelerator, string item)
    {
        var (name, count) = Parse(item);
        var settings = RmsPropCases[name];
        var model = new State(count, 5);
        using var acc = Accelerators.Create(accelerator);
        var device = model.Upload(acc);
        for (var step = 1; step <= Steps; step++)
        {
            var grad = RandomTensors.Uniform(count, 500 + step);
            ReferenceOps.RmsPropStep(settings, model.Param, grad.ToDouble(), model.A, model.B, model.C);
            acc.CopyFromHost(grad, device.Grad);
            acc.RmsPropUpdate(settings, device.Param, device.Grad, device.A, settings.Centered ? device.B : null,
                settings.Momentum != 0f ? device.C : null, count);
        }

        // The unused state tensors must stay untouched: zero, as they started.
        Compare(model, device, 3, $"RMSprop {item}");
    }

    [Theory]
    [MemberData(nameof(Accelerators.OpSuite), MemberType = typeof(Accelerators))]
    public void AdamWRejectsStepZero(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var buffers = Enumerable.Range(0, 4).Select(_ => acc.Filled(3, 0f)).ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.AdamWUpdate(new AdamWSettings(1e-3f, 0.9f, 0.999f,
            1e-8f, 0.01f, 0), buffers[0], buffers[1], buffers[2], buffers[3], 3));
    }

    [Theory]
    [MemberData(nameof(Accelerators.OpSuite), MemberType = typeof(Accelerators))]
    public void CenteredRmsPropNeedsAGradientAverageAndMomentumABuffer(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var error = Assert.Throws<ArgumentNullException>(() => acc.RmsPropUpdate(new RmsPropSettings(1e-2f, 0.99f,
            1e-8f, 0f, 0f, true), acc.Filled(3, 0f), acc.Filled(3, 0f), acc.Filled(3, 0f), null, null, 3));
        Assert.Equal("gradAvg", error.ParamName);
        error = Assert.Throws<ArgumentNullException>(() => acc.RmsPropUpdate(new RmsPropSettings(1e-2f, 0.99f,
            1e-8f, 0f, 0.9f, false), acc.Filled(3, 0f), acc.Filled(3, 0f), acc.Filled(3, 0f), null, null, 3));
        Assert.Equal("momentumBuffer", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(Accelerators.OpSuite), MemberType = typeof(Accelerators))]
    public void AdamRejectsStepZero(string accelerator)
    {
        // Step 0 would divide by a bias correction of 1 - beta^0 = 0.
        using var acc = Accelerators.Create(accelerator);
        var buffers = Enumerable.Range(0, 4).Select(_ => acc.Filled(3, 0f)).ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.AdamUpdate(new AdamSettings(1e-3f, 0.9f, 0.999f, 1e-8f,
            0f, 0), buffers[0], buffers[1], buffers[2], buffers[3], 3));
    }

    [Theory]
    [MemberData(nameof(Accelerators.OpSuite), MemberType = typeof(Accelerators))]
    public void SgdWithMomentumNeedsAVelocityBuffer(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var error = Assert.Throws<ArgumentNullException>(() => acc.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0f, 0f,
            false, true), acc.Filled(3, 0f), acc.Filled(3, 0f), null, 3));
        Assert.Equal("velocity", error.ParamName);
    }

    private static TheoryData<string, string> ShortOnIlgpu(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var accelerator in Accelerators.OpSuiteNames)
        {
            foreach (var item in cases)
            {
                foreach (var count in Counts.Where(n => accelerator != Accelerators.IlgpuCpu || n == Counts[0]))
                {
                    data.Add(accelerator, $"{item}/{count}");
                }
            }
        }

        return data;
    }

    private static (string Name, int Count) Parse(string item)
    {
        var parts = item.Split('/');
        return (parts[0], int.Parse(parts[1]));
    }

    // Host-side parameters and up to three state tensors, starting from random parameters and zero state as PyTorch
    // does.
    private sealed class State(int count, int seed)
    {
        public double[] Param { get; } = RandomTensors.Uniform(count, seed).ToDouble();

        public double[] A { get; } = new double[count];

        public double[] B { get; } = new double[count];

        public double[] C { get; } = new double[count];

        public Buffers Upload(Accelerator acc) => new(acc.Upload(Array.ConvertAll(Param, v => (float)v)),
            acc.Allocate(Param.Length), acc.Filled(Param.Length, 0f), acc.Filled(Param.Length, 0f),
            acc.Filled(Param.Length, 0f));
    }

    private sealed record Buffers(DeviceBuffer Param, DeviceBuffer Grad, DeviceBuffer A, DeviceBuffer B,
        DeviceBuffer C);

    private static void Compare(State model, Buffers device, int stateTensors, string what)
    {
        TensorAssert.Close(model.Param, device.Param.ToArray(), 1e-6, 1e-5, $"{what} parameters");
        if (stateTensors >= 1)
        {
            TensorAssert.Close(model.A, device.A.ToArray(), 1e-6, 1e-5, $"{what} first state tensor");
        }

        if (stateTensors >= 2)
        {
            TensorAssert.Close(model.B, device.B.ToArray(), 1e-7, 1e-5, $"{what} second state tensor");
        }

        if (stateTensors >= 3)
        {
            TensorAssert.Close(model.C, device.C.ToArray(), 1e-6, 1e-5, $"{what} third state tensor");
        }
    }
}
