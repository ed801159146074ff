using System.Globalization;
using System.Text.Json;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>
/// <c>train</c> under <c>mpirun</c> on this host's loopback: two ranks end where one process with the same global
/// batch ends, with one bucket or many of uneven size; a rank killed mid-run ends the whole job and leaves the last
/// checkpoint loadable, and <c>--resume</c> continues from it under MPI.
/// </summary>
public sealed class MpiTrainTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly IdxFixture data = new();

    public MpiTrainTests() => Gpucnn.WriteTinyMnist(data, train: 1280, test: 64);

    /// <summary>LeNet-5 for 20 SGD steps of a global batch of 64 (1280 images), one CPU thread per process.</summary>
    internal static string[] TrainArgs(string dataDir, string checkpoint, string metrics) =>
    [
        "train", "--model", "lenet5", "--data", dataDir, "--batch-size", "64", "--epochs", "1", "--optimizer",
        "sgd", "--lr", "0.05", "--seed", "1", "--device", "cpu", "--prefetch", "false", "--checkpoint", checkpoint,
        "--metrics-json", metrics,
    ];

    [MpiFact]
    public void TwoRanksEndWithinOneMillionthOfOneProcess()
    {
        var one = Path.Combine(data.Directory, "one.safetensors");
        var (code, output, error) = Gpucnn.Run(TrainArgs(data.Directory, one, one + ".json"));
        Assert.True(code == 0, output + error);

        foreach (var bucketMb in new[] { "25", "0.01" })
        {
            var two = Path.Combine(data.Directory, $"two-{bucketMb}.safetensors");
            var (mpiCode, mpiOutput) = Mpirun.Run([.. Mpirun.Common, "-np", "2"],
                TrainArgs(data.Directory, two, two + ".json"), Timeout,
                new Dictionary<string, string> { ["GPUCNN_BUCKET_MB"] = bucketMb });
            Assert.True(mpiCode == 0, mpiOutput);
            // Rank 0 alone prints.
            Assert.Single(mpiOutput.Split('\n'), line => line.Contains("epoch 1/1:", StringComparison.Ordinal));
            Assert.Contains("Data-parallel over 2 MPI ranks", mpiOutput, StringComparison.Ordinal);
            AssertSameRun(one, two);
        }
    }

    [MpiFact]
    public void AKilledRankEndsTheJobAndTheLastCheckpointResumes()
    {
        var checkpoint = Path.Combine(data.Directory, "run.safetensors");
        // Epochs of 8 steps, far more of them than the test waits for: the job is still training when rank 1 dies.
        string[] args = ["train", "--model", "lenet5", "--data", data.Directory, "--batch-size", "32", "--epochs",
            "1000", "--limit-train", "256", "--optimizer", "sgd", "--lr", "0.05", "--seed", "1", "--device", "cpu",
            "--checkpoint", checkpoint];
        using var job = Mpirun.Start([.. Mpirun.Common, "-np", "2"], args);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && clock.Elapsed < Timeout && !job.HasExited)
        {
            Thread.Sleep(100);
        }

        Assert.True(File.Exists(checkpoint), "No checkpoint appeared.");
        var rank1 = RankProcess(job.Id, 1);
        Assert.True(rank1 is not null, "Rank 1's process was not found among mpirun's children.");
        rank1!.Kill();
        var (code, output) = Mpirun.Finish(job, TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, code);
        Assert.Contains("rank 1", output, StringComparison.Ordinal);
        Assert.Contains("signal 9", output, StringComparison.Ordinal);
        // The file rank 0 last wrote (atomically) is whole: it loads and resumes under MPI.
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 5);
        var epochs = int.Parse(Checkpoint.Load(checkpoint, net)["epoch"], CultureInfo.InvariantCulture);
        Assert.True(epochs >= 1);
        var next = (epochs + 1).ToString(CultureInfo.InvariantCulture);
        string[] resume = ["train", "--resume", checkpoint, "--epochs", next, "--data", data.Directory,
            "--limit-train", "256", "--optimizer", "sgd", "--lr", "0.05", "--device", "cpu", "--checkpoint",
            checkpoint];
        var (resumeCode, resumeOutput) = Mpirun.Run([.. Mpirun.Common, "-np", "2"], resume, Timeout);
        Assert.True(resumeCode == 0, resumeOutput);
        Assert.Contains($"epoch {epochs + 1}/{epochs + 1}", resumeOutput, StringComparison.Ordinal);
        Assert.Equal(next, Checkpoint.Load(checkpoint, net)["epoch"]);
    }

    public void Dispose() => data.Dispose();

    /// <summary>Parameters within 1e-5 (relative L2 per tensor) and the epoch's training loss within 1e-5.</summary>
    internal static void AssertSameRun(string expectedCheckpoint, string actualCheckpoint)
    {
        using var acc = new CpuAccelerator(1);
        using var expected = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 7);
        using var actual = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 8);
        Checkpoint.Load(expectedCheckpoint, expected);
        Checkpoint.Load(actualCheckpoint, actual);
        foreach (var p in expected.Parameters())
        {
            var (e, a) = (p.ToArray(), actual.Parameter(p.Name).ToArray());
            var difference = Math.Sqrt(e.Zip(a, (x, y) => Math.Pow(x - y, 2)).Sum());
            var norm = Math.Sqrt(e.Sum(x => Math.Pow(x, 2)));
            Assert.True(difference <= 1e-5 * norm, $"{p.Name}: relative difference {difference / norm}");
        }

        var (lossOne, lossTwo) = (TrainLoss(expectedCheckpoint + ".json"), TrainLoss(actualCheckpoint + ".json"));
        Assert.True(Math.Abs(lossOne - lossTwo) <= 1e-5 * lossOne, $"Training loss {lossTwo} against {lossOne}.");
    }

    private static double TrainLoss(string metrics)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        return json.RootElement.GetProperty("epochs")[0].GetProperty("train_loss").GetDouble();
    }

    // The child of mpirun (local ranks are its children) whose environment names it rank `rank`.
    private static System.Diagnostics.Process? RankProcess(int mpirun, int rank)
    {
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (parent == mpirun && environment.Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                {
                    return System.Diagnostics.Process.GetProcessById(int.Parse(Path.GetFileName(dir),
                        CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // A process that ended while being read.
            }
        }

        return null;
    }
}
