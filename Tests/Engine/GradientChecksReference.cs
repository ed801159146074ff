using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// The oracle checks itself: every backward function of <see cref="ReferenceOps"/> against central differences
/// of its own forward, in double precision where a step of 1e-5 leaves errors far below the tolerance. The
/// kernel tests then compare each accelerator with a reference whose gradients are known to be derivatives.
/// </summary>
public sealed class GradientChecksReference
{
    private const double Step = 1e-5;
    private const double Atol = 1e-8;
    private const double Rtol = 1e-6;

    internal static readonly Dictionary<string, Conv2dGeometry> ConvCases = new()
    {
        ["stride2-pad0101"] = new(2, 3, 5, 6, 4, 3, 3, StrideH: 2, StrideW: 2, PadLeft: 1, PadRight: 1),
        ["stride3-dilation2-groups2"] = new(2, 4, 7, 8, 4, 2, 3, StrideH: 3, PadTop: 1, PadBottom: 2, DilationH: 2,
            DilationW: 2, Groups: 2),
        ["pointwise-1x1"] = new(2, 3, 4, 5, 2, 1, 1),
        ["even-kernel-same-padding"] = new(1, 2, 5, 7, 3, 4, 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2),
    };

    internal static readonly Dictionary<string, Pool2dGeometry> PoolCases = new()
    {
        ["k3s2-pad1"] = new(2, 2, 5, 7, 3, 3, 2, 2, 1, 1),
        ["k2x3-s1x2-pad1"] = new(1, 3, 6, 5, 2, 3, 1, 2, 1, 1),
    };

    internal static readonly Dictionary<string, BatchNormGeometry> BatchNormCases = new()
    {
        ["n2-c3-2x2"] = new(2, 3, 4),
        ["n5-c2-1x1"] = new(5, 2, 1),
    };

    // Alpha large enough that the window's cross terms carry real weight in the gradient.
    internal static readonly Dictionary<string, LrnGeometry> LrnCases = new()
    {
        ["size2-c4"] = new(2, 4, 3, 2, 1.5f, 0.75f, 1f),
        ["size5-c3"] = new(1, 3, 4, 5, 2f, 0.6f, 1.5f),
        ["size3-c6"] = new(2, 6, 2, 3, 1f, 0.75f, 2f),
    };

    public static TheoryData<string> ConvNames => new(ConvCases.Keys);

    public static TheoryData<string> BatchNormNames => new(BatchNormCases.Keys);

    public static TheoryData<string> LrnNames => new(LrnCases.Keys);

    public static TheoryData<string> PoolNames => new(PoolCases.Keys);

    [Theory]
    [MemberData(nameof(ConvNames))]
    public void ConvolutionGradientsAreDerivatives(string name)
    {
        var g = ConvCases[name];
        var x = RandomTensors.Uniform(g.InputLength, 1).ToDouble();
        var w = RandomTensors.Uniform(g.WeightLength, 2).ToDouble();
        var b = RandomTensors.Uniform(g.K, 3).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 4).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceOps.Conv2dForward(g, x, w, b), r);

        var (dw, db) = ReferenceOps.Conv2dBackwardFilter(g, x, r);
        Check(ReferenceOps.Conv2dBackwardData(g, r, w), FiniteDifferences.Gradient(x, Loss, Step), $"{name} dx");
        Check(dw, FiniteDifferences.Gradient(w, Loss, Step), $"{name} dw");
        Check(db, FiniteDifferences.Gradient(b, Loss, Step), $"{name} db");
    }

    [Theory]
    [MemberData(nameof(PoolNames))]
    public void PoolingGradientsAreDerivatives(string name)
    {
        var g = PoolCases[name];

        // Distinct values 0.01 apart: a step of 1e-5 cannot change which element wins a window.
        var x = RandomTensors.Distinct(g.InputLength, 5, 0.01f).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 6).ToDouble();

        Check(ReferenceOps.MaxPool2dBackward(g, x, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.MaxPool2dForward(g, x), r), Step), $"max pool {name} dx");
        Check(ReferenceOps.AvgPool2dBackward(g, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.AvgPool2dForward(g, x), r), Step), $"avg pool {name} dx");
    }

    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Sigmoid)]
    public void ActivationGradientsAreDerivatives(ActivationKind kind)
    {
        var x = RandomTensors.AwayFromZero(50, 7, 0.01f).Select(v => 3.0 * v).ToArray();
        var r = RandomTensors.Uniform(50, 8).ToDouble();
        var y = ReferenceOps.Activation(kind, x);

        Check(ReferenceOps.ActivationBackward(kind, y, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.Activation(kind, x), r), Step), $"{kind} dx");
    }

    [Fact]
    public void SoftmaxGradientIsDerivative()
    {
        var x = RandomTensors.Uniform(15, 9, -3f, 3f).ToDouble();
        var r = RandomTensors.Uniform(15, 10).ToDouble();
        var y = ReferenceOps.Softmax(x, 3, 5);

        Check(ReferenceOps.SoftmaxBackward(y, r, 3, 5), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.Softmax(x, 3, 5), r), Step), "softmax dx");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void GemmGradientFormulasAreDerivatives(bool transA, bool transB)
    {
        // The formulas a dense layer's backward is built from, for A and B stored transposed or not.
        const int M = 5, N = 4, K = 3;
        const double Alpha = 0.7;
        var a = RandomTensors.Uniform(M * K, 11).ToDouble();
        var b = RandomTensors.Uniform(K * N, 12).ToDouble();
        var r = RandomTensors.Uniform(M * N, 13).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceOps.Gemm(transA, transB, M, N, K, Alpha, a, b, 0, []), r);

        var (dA, dB) = GemmGradients(transA, transB, M, N, K, Alpha, a, b, r);
        Check(dA, FiniteDifferences.Gradient(a, Loss, Step), "dA");
        Check(dB, FiniteDifferences.Gradient(b, Loss, Step), "dB");
    }

    [Fact]
    public void BiasGradientIsDerivative()
    {
        var y = RandomTensors.Uniform(3 * 4 * 5, 14).ToDouble();
        var bias = RandomTensors.Uniform(4, 15).ToDouble();
        var r = RandomTensors.Uniform(3 * 4 * 5, 16).ToDouble();

        Check(ReferenceOps.BiasAddBackward(r, 3, 4, 5), FiniteDifferences.Gradient(bias,
            () => FiniteDifferences.Dot(ReferenceOps.BiasAdd(y, bias, 3, 4, 5), r), Step), "db");
    }

    [Fact]
    public void DropoutGradientIsTheMask()
    {
        var mask = ReferenceOps.DropoutMask(77, 40, 0.4f);
        var x = RandomTensors.Uniform(40, 17).ToDouble();
        var r = RandomTensors.Uniform(40, 18).ToDouble();

        Check(ReferenceOps.Multiply(mask, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.Multiply(x, mask), r), Step), "dropout dx");
    }

    [Fact]
    public void CrossEntropyGradientIsDerivativeOfTheScaledLoss()
    {
        const int Rows = 4, Classes = 6;
        const double Scale = 1.0 / Rows;
        var logits = RandomTensors.Uniform(Rows * Classes, 19, -3f, 3f).ToDouble();
        var labels = RandomTensors.Labels(Rows, Classes, 20);

        Check(ReferenceOps.SoftmaxCrossEntropy(logits, labels, Rows, Classes, Scale).DLogits,
            FiniteDifferences.Gradient(logits,
                () => Scale * ReferenceOps.SoftmaxCrossEntropy(logits, labels, Rows, Classes, Scale).LossSum, Step),
            "dlogits");
    }

    [Theory]
    [MemberData(nameof(BatchNormNames))]
    public void BatchNormGradientsAreDerivatives(string name)
    {
        const double Eps = 1e-5;
        var g = BatchNormCases[name];
        var x = RandomTensors.Uniform(g.Length, 21).ToDouble();
        var (gamma, beta) = (RandomTensors.Uniform(g.C, 22, 0.5f, 1.5f).ToDouble(),
            RandomTensors.Uniform(g.C, 23).ToDouble());
        var r = RandomTensors.Uniform(g.Length, 24).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceNormalization.BatchNormTraining(g, x, gamma, beta,
            new double[g.C], new double[g.C], 0.1, Eps).Y, r);

        var (dx, dgamma, dbeta) = ReferenceNormalization.BatchNormBackward(g, x, r, gamma, Eps);
        Check(dx, FiniteDifferences.Gradient(x, Loss, Step), $"batch norm {name} dx");
        Check(dgamma, FiniteDifferences.Gradient(gamma, Loss, Step), $"batch norm {name} dgamma");
        Check(dbeta, FiniteDifferences.Gradient(beta, Loss, Step), $"batch norm {name} dbeta");
    }

    [Theory]
    [MemberData(nameof(LrnNames))]
    public void LrnGradientIsDerivative(string name)
    {
        var g = LrnCases[name];
        var x = RandomTensors.Uniform(g.Length, 25, -2f, 2f).ToDouble();
        var r = RandomTensors.Uniform(g.Length, 26).ToDouble();

        Check(ReferenceNormalization.LrnBackward(g, x, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceNormalization.LrnForward(g, x).Y, r), Step), $"lrn {name} dx");
    }

    /// <summary>Gradients of sum(r * (alpha op(A) op(B))) with respect to A and B as stored: d op(A) =
    /// alpha r op(B)^T and d op(B) = alpha op(A)^T r, transposed back when the operand is stored transposed.</summary>
    internal static (double[] DA, double[] DB) GemmGradients(bool transA, bool transB, int m, int n, int k,
        double alpha, double[] a, double[] b, double[] r)
    {
        var dA = transA
            ? ReferenceOps.Gemm(transB, true, k, m, n, alpha, b, r, 0, [])
            : ReferenceOps.Gemm(false, !transB, m, k, n, alpha, r, b, 0, []);
        var dB = transB
            ? ReferenceOps.Gemm(true, transA, n, k, m, alpha, r, a, 0, [])
            : ReferenceOps.Gemm(!transA, false, k, n, m, alpha, a, r, 0, []);
        return (dA, dB);
    }

    private static void Check(double[] analytic, double[] numeric, string what) =>
        TensorAssert.Close(numeric, analytic, Atol, Rtol, $"reference {what} against central differences");
}
