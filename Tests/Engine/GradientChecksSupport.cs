using GpuCnn.Kernels;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Central differences. The scalar checked is always L = sum(y * r) for a fixed random r, so that dL/dy = r is
/// what a backward pass receives as its output gradient.
/// </summary>
internal static class FiniteDifferences
{
    /// <summary>dL/dvalues of a double-precision function, perturbing each element by ±h in place.</summary>
    public static double[] Gradient(double[] values, Func<double> loss, double h)
    {
        var gradient = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var original = values[i];
            values[i] = original + h;
            var up = loss();
            values[i] = original - h;
            var down = loss();
            values[i] = original;
            gradient[i] = (up - down) / (2 * h);
        }

        return gradient;
    }

    /// <summary>The most elements of one tensor probed on ILGPU's CPU accelerator (see <see cref="Probes"/>).
    /// </summary>
    public const int SimulatedProbes = 40;

    /// <summary>
    /// dL/dvalues for float data held in a device buffer: element i is rewritten to values[i] ± h on the device,
    /// <paramref name="loss"/> reruns the forward pass, and the quotient uses the step the floats really took.
    /// Elements left unprobed (see <see cref="Probes"/>) are NaN; <see cref="GpuCnn.Tests.Ops.KernelGradient.Check"/>
    /// compares the probed ones.
    /// </summary>
    public static double[] Gradient(Accelerator acc, DeviceBuffer buffer, float[] values, Func<double> loss,
        float h)
    {
        var gradient = new double[values.Length];
        Array.Fill(gradient, double.NaN);
        foreach (var i in Probes(acc, values.Length))
        {
            var original = values[i];
            var (up, down) = (original + h, original - h);
            acc.CopyFromHost([up], buffer, i);
            var lossUp = loss();
            acc.CopyFromHost([down], buffer, i);
            var lossDown = loss();
            acc.CopyFromHost([original], buffer, i);
            gradient[i] = (lossUp - lossDown) / ((double)up - down);
        }

        return gradient;
    }

    /// <summary>
    /// The elements a central-difference check perturbs: all of them, except on ILGPU's CPU accelerator, where each
    /// probe is two forward passes of simulated GPU threads: there a fixed pseudo-random choice of at most
    /// <see cref="SimulatedProbes"/> (seeded by the length). Every element of those gradients is still compared with
    /// the double-precision oracle by the parity checks on that row.
    /// </summary>
    public static IEnumerable<int> Probes(Accelerator acc, int length)
    {
        if (acc is not GpuCnn.Kernels.Ilgpu.IlgpuAccelerator { IsCuda: false } || length <= SimulatedProbes)
        {
            return Enumerable.Range(0, length);
        }

        // A partial Fisher-Yates shuffle: distinct indices spread over every channel and position.
        var order = Enumerable.Range(0, length).ToArray();
        var random = new GpuCnn.Engine.SeededRandom((ulong)length);
        for (var k = 0; k < SimulatedProbes; k++)
        {
            var j = k + (int)(random.NextUInt64() % (ulong)(length - k));
            (order[k], order[j]) = (order[j], order[k]);
        }

        return order[..SimulatedProbes].Order();
    }

    /// <summary>sum(y * r) accumulated in double, so that the loss adds no rounding of its own.</summary>
    public static double Dot(float[] y, double[] r)
    {
        var sum = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            sum += y[i] * r[i];
        }

        return sum;
    }

    /// <inheritdoc cref="Dot(float[], double[])"/>
    public static double Dot(double[] y, double[] r)
    {
        var sum = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            sum += y[i] * r[i];
        }

        return sum;
    }
}
