using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The CPU's vector paths on the shapes that reach their edges: max pooling's 2x2 stride-2 rows of eight and
/// sixteen windows with an overlapping last block, its stride-1 blocks between clipped edges, ties and NaN inside a
/// vector block; fill, copy and add split across the cores; optimizer lanes against the scalar rule bit for bit.
/// Every accelerator row runs the pooling cases, so the other backends are held to the same answers.
/// </summary>
public sealed class CpuVectorPathTests
{
    private static readonly Dictionary<string, Pool2dGeometry> PoolCases = new()
    {
        // 2x2 stride 2: exactly eight windows a row, then 19 (a block of sixteen, then eight overlapping by five),
        // then 16 from an odd width, then five (below a vector block), with an odd height left over.
        ["k2s2-q8"] = new(2, 3, 4, 16, 2, 2, 2, 2),
        ["k2s2-q19-odd"] = new(1, 2, 7, 39, 2, 2, 2, 2),
        ["k2s2-q16-w33"] = new(3, 1, 6, 33, 2, 2, 2, 2),
        ["k2s2-q5"] = new(2, 4, 10, 10, 2, 2, 2, 2),
        ["k2s2-ceil-odd"] = new(1, 2, 5, 35, 2, 2, 2, 2, CeilMode: true),
        // Stride 1: seednet's 2x2 on 13x13 (one block and an overlapping one), 3x3 with padding (clipped columns on
        // both sides around the blocks), 2x3 over a width that leaves a scalar tail.
        ["k2s1-13x13"] = new(2, 3, 13, 13, 2, 2, 1, 1),
        ["k3s1-pad1-w29"] = new(1, 2, 6, 29, 3, 3, 1, 1, 1, 1),
        ["k2x3s1-pad1-w21"] = new(2, 1, 5, 21, 2, 3, 1, 1, 1, 1),
        ["k3s1-w8-exact"] = new(1, 1, 4, 10, 3, 3, 1, 1),
        // 2x2 stride 1 in blocks of sixteen windows: exactly sixteen a row (the last input column is a block of its
        // own), and 34 (two whole blocks and a ragged one).
        ["k2s1-q16-w17"] = new(2, 2, 5, 17, 2, 2, 1, 1),
        ["k2s1-q34-w35"] = new(1, 3, 4, 35, 2, 2, 1, 1),
    };

    public static TheoryData<string, string> PoolData => Accelerators.Cross(PoolCases.Keys);

    [Theory]
    [MemberData(nameof(PoolData))]
    public void MaxPoolWithTiesMatchesTheReference(string accelerator, string name)
    {
        // Small integers make most windows tie: the gradient must still go to the first maximum in row-major order.
        var g = PoolCases[name];
        var random = new Random(name.Length * 7919 + 11);
        var x = Enumerable.Range(0, g.InputLength).Select(_ => (float)random.Next(-2, 3)).ToArray();
        var dy = RandomTensors.Uniform(g.OutputLength, 5);
        var dx0 = RandomTensors.Uniform(g.InputLength, 6);
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(g.OutputLength, float.NaN);
        var dx = acc.Upload(dx0);
        acc.MaxPool2dForward(g, acc.Upload(x), y);
        acc.MaxPool2dBackward(g, acc.Upload(x), acc.Upload(dy), dx);

        TensorAssert.Close(ReferenceOps.MaxPool2dForward(g, x.ToDouble()), y.ToArray(), 0, 0, "max pool y");
        var expected = ReferenceOps.MaxPool2dBackward(g, x.ToDouble(), dy.ToDouble());
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] += dx0[i];
        }

        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-6, "max pool dx (added to its old value)");
    }

    [Theory]
    [MemberData(nameof(PoolData))]
    public void MaxPoolNaNInsideAVectorBlock(string accelerator, string name)
    {
        // NaN never wins the backward's strict comparisons (the reference's rule); the forward propagates it.
        var g = PoolCases[name];
        var x = RandomTensors.Distinct(g.InputLength, 3, 0.01f);
        foreach (var at in new[] { 1, g.W + 2, 2 * g.W + 9, g.InputLength / 2, g.InputLength - 3 })
        {
            x[at] = float.NaN;
        }

        var dy = RandomTensors.Uniform(g.OutputLength, 8);
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Filled(g.InputLength, 0f);
        var y = acc.Filled(g.OutputLength, 0f);
        acc.MaxPool2dBackward(g, acc.Upload(x), acc.Upload(dy), dx);
        acc.MaxPool2dForward(g, acc.Upload(x), y);

        TensorAssert.Close(ReferenceOps.MaxPool2dBackward(g, x.ToDouble(), dy.ToDouble()), dx.ToArray(), 1e-6, 1e-6,
            "max pool dx with NaN inputs");
        var clean = x.Select(v => float.IsNaN(v) ? float.NegativeInfinity : v).ToArray();
        var poisoned = ReferenceOps.MaxPool2dForward(g, x.Select(v => float.IsNaN(v) ? 1.0 : 0.0).ToArray());
        var expected = ReferenceOps.MaxPool2dForward(g, clean.ToDouble());
        var actual = y.ToArray();
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.True(poisoned[i] == 1.0 ? float.IsNaN(actual[i]) : actual[i] == expected[i],
                $"y[{i}] = {actual[i]}, expected {(poisoned[i] == 1.0 ? "NaN" : expected[i])}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_003)]
    public void CpuFillCopyAndAddAreExactAcrossChunks(int count)
    {
        // 100003 elements split into chunks on two workers, with a ragged last chunk.
        using var acc = new CpuAccelerator(threads: 2);
        var a = RandomTensors.Uniform(count, 1);
        var b = RandomTensors.Uniform(count, 2);
        var source = acc.Upload(a);
        var destination = acc.Filled(count, 7f);
        Assert.All(destination.ToArray(), v => Assert.Equal(7f, v));

        acc.Copy(source, destination, count);
        Assert.Equal(a, destination.ToArray());

        acc.AddInto(acc.Upload(b), destination, count);
        Assert.Equal(a.Select((v, i) => v + b[i]).ToArray(), destination.ToArray());
    }

    [Fact]
    public void CpuOptimizerLanesEqualTheScalarRuleBitForBit()
    {
        // 1037 elements: vector bodies and a scalar tail, whose results must agree with the plain float rule, so a
        // run's numbers cannot depend on which elements took the vector path.
        const int count = 1037;
        using var acc = new CpuAccelerator(threads: 2);
        var p0 = RandomTensors.Uniform(count, 1);
        var grad = RandomTensors.Uniform(count, 2);
        var m0 = RandomTensors.Uniform(count, 3, 0f, 0.1f);
        var v0 = RandomTensors.Uniform(count, 4, 0f, 0.01f);

        var s = new AdamSettings(3e-3f, 0.85f, 0.99f, 1e-7f, 0.02f, 4);
        var (p, m, v) = (acc.Upload(p0), acc.Upload(m0), acc.Upload(v0));
        acc.AdamUpdate(s, p, acc.Upload(grad), m, v, count);
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        var (pAdam, mAdam, vAdam) = (p.ToArray(), m.ToArray(), v.ToArray());
        for (var i = 0; i < count; i++)
        {
            var g = grad[i] + s.WeightDecay * p0[i];
            var mi = s.Beta1 * m0[i] + (1f - s.Beta1) * g;
            var vi = s.Beta2 * v0[i] + (1f - s.Beta2) * g * g;
            Assert.Equal(mi, mAdam[i]);
            Assert.Equal(vi, vAdam[i]);
            Assert.Equal(p0[i] - stepSize * mi / (MathF.Sqrt(vi) / correction2Sqrt + s.Epsilon), pAdam[i]);
        }

        var sgd = new SgdSettings(0.05f, 0.9f, 0.1f, 0.01f, true, false);
        var (pSgd, velocity) = (acc.Upload(p0), acc.Upload(m0));
        acc.SgdUpdate(sgd, pSgd, acc.Upload(grad), velocity, count);
        var (pOut, velocityOut) = (pSgd.ToArray(), velocity.ToArray());
        for (var i = 0; i < count; i++)
        {
            var d = grad[i] + sgd.WeightDecay * p0[i];
            var buf = sgd.Momentum * m0[i] + (1f - sgd.Dampening) * d;
            Assert.Equal(buf, velocityOut[i]);
            Assert.Equal(p0[i] - sgd.LearningRate * (d + sgd.Momentum * buf), pOut[i]);
        }
    }
}
