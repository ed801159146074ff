using Microsoft.ML.OnnxRuntime;

namespace GpuCnn.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime (CPU) on one float input and returns its first output.</summary>
internal static class OnnxRuntimeRunner
{
    public static float[] Run(byte[] model, float[] input, int batch, int[] perSample)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        long[] shape = [batch, .. perSample.Select(d => (long)d)];
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var run = new RunOptions();
        var inputName = session.InputMetadata.Keys.Single();
        var outputName = session.OutputMetadata.Keys.First();
        using var outputs = session.Run(run, [inputName], [value], [outputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>max |a - b| / max |b|: the error relative to the reference output's scale.</summary>
    public static double RelativeError(float[] actual, float[] reference)
    {
        if (actual.Length != reference.Length)
        {
            throw new ArgumentException($"{actual.Length} outputs against {reference.Length}.");
        }

        var scale = reference.Max(v => Math.Abs((double)v));
        var worst = actual.Zip(reference, (a, b) => Math.Abs((double)a - b)).Max();
        return worst / Math.Max(scale, 1e-30);
    }
}
