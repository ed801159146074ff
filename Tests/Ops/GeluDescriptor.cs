using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// GELU in PyTorch's exact form: x Φ(x), Φ(x) = erfc(-x/√2)/2, with the derivative Φ(x) + x φ(x) written through
/// the input. Besides the activation checks, the kernels are held to the float accuracy their erf promises on a
/// fine grid that reaches both tails, and the oracle's own erf to a table.
/// </summary>
internal sealed class GeluDescriptor : ActivationDescriptor
{
    private const int GridPoints = 40_001;

    // erf and erfc to 17 digits (mpmath at 40 digits): an independent source for the series and continued fraction.
    private static readonly (double X, double Erf)[] ErfTable =
    [
        (0.1, 0.1124629160182849), (0.5, 0.52049987781304654), (1.0, 0.84270079294971487),
        (1.5, 0.96610514647531073), (2.0, 0.99532226501895273), (2.5, 0.99959304798255504),
        (3.0, 0.99997790950300141),
    ];

    private static readonly (double X, double Erfc)[] ErfcTable =
    [
        (2.0, 0.0046777349810472658), (4.0, 1.5417257900280019e-8), (6.0, 2.1519736712498913e-17),
        (-1.0, 1.8427007929497149),
    ];

    public override ActivationKind Kind => ActivationKind.Gelu;

    public override IEnumerable<KernelCheck> Parity =>
    [
        .. base.Parity,
        new("forward-fine-grid", [$"{GridPoints}"], ForwardOnGrid),
        new("derivative-fine-grid", [$"{GridPoints}"], DerivativeOnGrid),
    ];

    public override IEnumerable<OracleCheck> Oracle =>
        [.. base.Oracle, new("erf-matches-table", ["erf", "erfc"], CheckErfTable)];

    public override double Function(double x) => x * NormalCdf(x);

    public override double Derivative(double x, double y) =>
        NormalCdf(x) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    public override Node Build(GraphBuilder g, Node x, string? name) => g.Gelu(x, name);

    /// <summary>Φ(x), the standard normal distribution function, in double, relative in both tails.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>erfc(x) to about 1e-15 relative: 1 - erf(x) by its Maclaurin series below |x| = 2 (the largest
    /// term is about 3 there, so little is lost to cancellation), Laplace's continued fraction above (120 levels
    /// converge to double precision from x = 2 on), and erfc(-x) = 2 - erfc(x).</summary>
    public static double Erfc(double x)
    {
        if (Math.Abs(x) < 2)
        {
            return 1 - ErfSeries(x);
        }

        if (x < 0)
        {
            return 2 - Erfc(-x);
        }

        // erfc(x) = exp(-x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the bottom up.
        var f = x;
        for (var k = 120; k >= 1; k--)
        {
            f = x + k / 2.0 / f;
        }

        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }

    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    private static double ErfSeries(double x)
    {
        double power = x, sum = 0;
        for (var n = 0; n < 200; n++)
        {
            var term = power / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum))
            {
                break;
            }

            power *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    // x from -10 to 10 in steps of 5e-4: the body, both branches of the CPU kernel's erf and their seam at |x| = √2,
    // and tails where Φ or 1 - Φ falls below float's resolution.
    private static float[] Grid(int points) =>
        Enumerable.Range(0, points).Select(i => -10f + 20f * i / (points - 1)).ToArray();

    // The tolerance is float's: the CPU kernel's Φ is within 1.5e-7 of the truth, and x Φ(x) rounds to half a unit
    // in the last place (2.4e-7 at |y| = 4, 4.8e-7 at 8; measured worst 3.8e-7 on this grid, as PyTorch's own float
    // GELU). The lower tail, where |y| is tiny and its relative error reaches 1e-5, falls under the absolute term.
    private void ForwardOnGrid(Accelerator acc, string points)
    {
        var x = Grid(int.Parse(points, CultureInfo.InvariantCulture));
        var y = acc.Filled(x.Length, float.NaN);
        acc.ActivationForward(Kind, acc.Upload(x), y, x.Length);

        TensorAssert.Close(Forward(x.ToDouble()), y.ToArray(), 4e-7, 1e-7, "GELU on the fine grid");
    }

    private void DerivativeOnGrid(Accelerator acc, string points)
    {
        var x = Grid(int.Parse(points, CultureInfo.InvariantCulture));
        var dx = acc.Filled(x.Length, 0f);
        var xb = acc.Upload(x);
        acc.ActivationBackward(Kind, xb, acc.Filled(x.Length, float.NaN), acc.Filled(x.Length, 1f), dx, x.Length);

        var expected = x.Select(v => Derivative(v, double.NaN)).ToArray();
        TensorAssert.Close(expected, dx.ToArray(), 3e-7, 1e-7, "GELU's derivative on the fine grid (y unread)");
    }

    private static void CheckErfTable(string which)
    {
        var (got, expected) = which == "erf"
            ? (ErfTable.Select(e => 1 - Erfc(e.X)).ToArray(), ErfTable.Select(e => e.Erf).ToArray())
            : (ErfcTable.Select(e => Erfc(e.X)).ToArray(), ErfcTable.Select(e => e.Erfc).ToArray());
        TensorAssert.Close(expected, got, 0, 1e-14, $"the oracle's {which} against the table");
    }
}
