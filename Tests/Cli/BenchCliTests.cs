using System.Text.Json;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>gpucnn bench</c>'s last line, the JSON the side-by-side benchmark script reads: the mode, the batch
/// size asked for, the rate and the figures derived from it, for training and for inference.</summary>
public sealed class BenchCliTests
{
    // LeNet-5's convolutions and linear layers, per image: 6*28*28*25 + 16*10*10*150 + 400*120 + 120*84 + 84*10.
    private const long LeNet5MultiplyAdds = 117_600 + 240_000 + 48_000 + 10_080 + 840;

    [Fact]
    public void InferenceAtBatchOneReportsLatencyThroughputAndGflops()
    {
        var json = Bench("--inference", "--batch-size", "1");

        Assert.Equal("inference", json.GetProperty("mode").GetString());
        Assert.Equal(1, json.GetProperty("batch_size").GetInt32());
        var rate = json.GetProperty("images_per_second").GetDouble();
        Assert.True(rate > 0, $"images/s {rate}");
        Assert.Equal(1000 / rate, json.GetProperty("ms_per_image").GetDouble(), Tolerance(1000 / rate, 4));
        Assert.Equal(1000 / rate, json.GetProperty("ms_per_batch").GetDouble(), Tolerance(1000 / rate, 4));
        Assert.Equal(LeNet5MultiplyAdds, json.GetProperty("forward_multiply_adds_per_image").GetInt64());
        var gflops = rate * LeNet5MultiplyAdds * 2 / 1e9;
        Assert.Equal(gflops, json.GetProperty("gflops").GetDouble(), Tolerance(gflops, 2));
    }

    [Fact]
    public void TrainingCountsThreePassesPerImage()
    {
        var json = Bench("--batch-size", "8");

        Assert.Equal("train", json.GetProperty("mode").GetString());
        Assert.Equal(8, json.GetProperty("batch_size").GetInt32());
        var rate = json.GetProperty("images_per_second").GetDouble();
        Assert.Equal(8000 / rate, json.GetProperty("ms_per_batch").GetDouble(), Tolerance(8000 / rate, 4));
        var gflops = rate * LeNet5MultiplyAdds * 2 * 3 / 1e9;
        Assert.Equal(gflops, json.GetProperty("gflops").GetDouble(), Tolerance(gflops, 2));
    }

    // The JSON rounds the rate to one decimal (a relative error under 1e-3 above 50 images/s) and the derived figures
    // to `decimals` places: allow for both.
    private static double Tolerance(double value, int decimals) =>
        0.5 * Math.Pow(10, -decimals) + Math.Abs(value) * 1e-3;

    private static JsonElement Bench(params string[] extra)
    {
        string[] timing = ["--steps", "2", "--warmup", "1", "--repeats", "1"];
        var (code, output, error) = Gpucnn.Run(["bench", "--model", "lenet5", "--device", "cpu", .. timing, .. extra]);

        Assert.True(code == 0, error);
        var last = output.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("{", last, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(last);
        Assert.Equal("lenet5", document.RootElement.GetProperty("model").GetString());
        return document.RootElement.Clone();
    }
}
