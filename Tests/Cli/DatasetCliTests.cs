using System.Globalization;
using System.Text.Json;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>train</c> and <c>eval</c> on CIFAR-10's binary files and on an image folder, with tiny data written
/// here; the MNIST runs are in <see cref="ExerciseAndPlotTests"/> and <see cref="CliTests"/>.</summary>
public sealed class DatasetCliTests
{
    [Fact]
    public void CifarModelTrainsOnCifar10ByDefaultAndEvalReadsTheCheckpointBack()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyCifar10(data, perTrainFile: 16, test: 20);
        var checkpoint = Path.Combine(data.Directory, "vgg.safetensors");
        var metrics = Path.Combine(data.Directory, "metrics.json");

        var (code, output, error) = Gpucnn.Run("train", "--model", "vgg11-cifar", "--data", data.Directory,
            "--epochs", "2", "--batch-size", "16", "--device", "cpu", "--checkpoint", checkpoint,
            "--metrics-json", metrics);

        Assert.True(code == 0, error);
        Assert.Contains("80 training images of CIFAR-10", output);
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        Assert.Equal("cifar10", json.RootElement.GetProperty("dataset").GetString());
        var epochs = json.RootElement.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal(2, epochs.Count);
        // The bars are easy to tell apart: the second epoch fits them better than the first, and most test images
        // are already right (a tenth would be chance).
        Assert.True(epochs[1].GetProperty("train_loss").GetDouble() < epochs[0].GetProperty("train_loss").GetDouble());
        Assert.True(epochs[1].GetProperty("test_accuracy").GetDouble() > 0.5);
        var saved = Checkpoint.ReadMetadata(checkpoint);
        Assert.Equal(("cifar10", "10", "vgg11-cifar"), (saved["dataset"], saved["classes"], saved["model"]));

        var (evalCode, evalOutput, evalError) = Gpucnn.Run("eval", "--model", "vgg11-cifar", "--checkpoint",
            checkpoint, "--data", data.Directory, "--batch-size", "16", "--device", "cpu");

        Assert.True(evalCode == 0, evalError);
        // The same parameters and running statistics on the same 20 test images give the last epoch's figures.
        Assert.Equal(string.Create(CultureInfo.InvariantCulture,
            $"test loss {epochs[1].GetProperty("test_loss").GetDouble():F4} accuracy " +
            $"{epochs[1].GetProperty("test_accuracy").GetDouble():P2} (20 images)"), FirstLine(evalOutput));
    }

    [Fact]
    public void AugmentationRepeatsForASeedOnAnyThreadAndChangesTheBatches()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyCifar10(data, perTrainFile: 8, test: 10);

        double TrainLoss(string name, params string[] extra)
        {
            var metrics = Path.Combine(data.Directory, name + ".json");
            string[] args = [.. ("train --model vgg11-cifar --epochs 1 --batch-size 16 --limit-train 32 " +
                "--device cpu --seed 3").Split(' '), "--data", data.Directory, "--metrics-json", metrics, .. extra];
            var (code, output, error) = Gpucnn.Run(args);
            Assert.True(code == 0, error);
            Assert.Contains("32 training images of CIFAR-10", output);
            Assert.Equal(extra.Contains("--augment"), output.Contains("CIFAR-10, augmented", StringComparison.Ordinal));
            using var json = JsonDocument.Parse(File.ReadAllText(metrics));
            return json.RootElement.GetProperty("epochs")[0].GetProperty("train_loss").GetDouble();
        }

        var augmented = TrainLoss("augmented", "--augment");
        var again = TrainLoss("again", "--augment", "--prefetch", "false");
        var plain = TrainLoss("plain");

        Assert.Equal(augmented, again);
        Assert.NotEqual(augmented, plain);
    }

    [Fact]
    public void ResumedAugmentedRunKeepsItsDatasetAndAugmentationAndEndsAsAnUnbrokenOne()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyCifar10(data, perTrainFile: 4, test: 8);
        var checkpoint = Path.Combine(data.Directory, "half.safetensors");

        (int Code, string Error, double LastLoss) Train(string name, params string[] extra)
        {
            var metrics = Path.Combine(data.Directory, name + ".json");
            string[] args = [.. ("train --model vgg11-cifar --batch-size 8 --limit-train 16 --device cpu").Split(' '),
                "--data", data.Directory, "--metrics-json", metrics, .. extra];
            var (code, _, error) = Gpucnn.Run(args);
            if (code != 0)
            {
                return (code, error, double.NaN);
            }

            using var json = JsonDocument.Parse(File.ReadAllText(metrics));
            return (code, error, json.RootElement.GetProperty("epochs").EnumerateArray().Last()
                .GetProperty("train_loss").GetDouble());
        }

        var unbroken = Train("unbroken", "--epochs", "2", "--augment");
        var half = Train("half", "--epochs", "1", "--augment", "--checkpoint", checkpoint);
        // Resumed without --augment: the checkpoint's run augmented, so this one does too.
        var resumed = Train("resumed", "--epochs", "2", "--resume", checkpoint);
        var otherData = Train("other", "--epochs", "2", "--resume", checkpoint, "--dataset", "folder");

        Assert.Equal((0, 0, 0), (unbroken.Code, half.Code, resumed.Code));
        Assert.Contains("augmenting the training images, as the checkpoint's run did", resumed.Error);
        Assert.Equal(unbroken.LastLoss, resumed.LastLoss);
        Assert.NotEqual(half.LastLoss, resumed.LastLoss);
        Assert.Equal(2, otherData.Code);
        Assert.Contains("was trained on cifar10, not folder; pass --dataset cifar10", otherData.Error);
    }

    [Fact]
    public void ImagesOfAnotherShapeThanTheModelsInputAreRefusedNamingBoth()
    {
        using var data = new IdxFixture();
        var checkpoint = Path.Combine(data.Directory, "lenet.safetensors");
        using (var acc = new CpuAccelerator(1))
        using (var net = ModelZoo.Build("lenet5", acc, maxBatch: 1))
        {
            Checkpoint.Save(checkpoint, net);
        }

        var (trainCode, _, trainError) = Gpucnn.Run("train", "--model", "lenet5", "--dataset", "cifar10", "--data",
            data.Directory, "--device", "cpu");
        var (evalCode, _, evalError) = Gpucnn.Run("eval", "--model", "lenet5", "--checkpoint", checkpoint,
            "--dataset", "cifar10", "--data", data.Directory, "--device", "cpu");
        var (mnistCode, _, mnistError) = Gpucnn.Run("train", "--model", "resnet18-cifar", "--dataset", "mnist",
            "--data", data.Directory, "--device", "cpu");

        Assert.Equal((2, 2, 2), (trainCode, evalCode, mnistCode));
        foreach (var error in new[] { trainError, evalError })
        {
            Assert.Contains("--dataset cifar10 has 3x32x32 images", error);
            Assert.Contains("lenet5 takes 1x28x28 input", error);
            Assert.Contains("vgg11-cifar, vgg16-cifar, resnet18-cifar", error);
        }

        Assert.Contains("--dataset mnist has 1x28x28 images (channels x height x width) but resnet18-cifar takes " +
            "3x32x32 input; pick a model of 1x28x28 input (lenet5, seednet)", mnistError);
    }

    [Fact]
    public void MissingAndTruncatedCifarFilesAreNamed()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyCifar10(data, perTrainFile: 2, test: 2);
        var third = Path.Combine(data.Directory, "data_batch_3.bin");
        var bytes = File.ReadAllBytes(third);
        File.Delete(third);

        var (missingCode, _, missing) = Gpucnn.Run("train", "--model", "vgg11-cifar", "--data", data.Directory,
            "--device", "cpu");

        Assert.Equal(1, missingCode);
        Assert.Contains($"CIFAR-10 file data_batch_3.bin is not in {data.Directory}", missing);
        Assert.Contains("--data", missing);
        Assert.DoesNotContain("   at ", missing);

        File.WriteAllBytes(third, bytes[..^100]);
        var (cutCode, _, cut) = Gpucnn.Run("train", "--model", "vgg11-cifar", "--data", data.Directory,
            "--device", "cpu");

        Assert.Equal(1, cutCode);
        Assert.Contains($"{third}: 6046 bytes is not a whole number of 3073-byte records; record 1 at offset 3073",
            cut);
    }

    [Fact]
    public void ImageFolderIsResizedToTheModelsInputAndEvalChecksItsClasses()
    {
        using var data = new IdxFixture();
        // 10x12 RGB pictures, read as LeNet-5's 1x28x28: dark ones with a light column, light ones with a dark row.
        void Put(string split, string label, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var image = new Image(10, 12, 3);
                var light = label == "light";
                Array.Fill(image.Pixels, light ? (byte)(200 + i) : (byte)(30 + i));
                for (var k = 0; k < 10; k++)
                {
                    var at = light ? (6 * 10 + k) * 3 : (k * 10 + 4) * 3;
                    image.Pixels.AsSpan(at, 3).Fill(light ? (byte)20 : (byte)240);
                }

                Png.Save(image, Path.Combine(data.Directory, "pictures", split, label, $"{i}.png"));
            }
        }

        Put("train", "dark", 12);
        Put("train", "light", 12);
        Put("test", "dark", 3);
        Put("test", "light", 5);
        var root = Path.Combine(data.Directory, "pictures");
        var checkpoint = Path.Combine(data.Directory, "folder.safetensors");
        var metrics = Path.Combine(data.Directory, "metrics.json");

        var (code, output, error) = Gpucnn.Run("train", "--model", "lenet5", "--dataset", "folder", "--data", root,
            "--batch-size", "8", "--device", "cpu", "--checkpoint", checkpoint, "--metrics-json", metrics);

        Assert.True(code == 0, error);
        Assert.Contains($"24 training images of {root}", output);
        var saved = Checkpoint.ReadMetadata(checkpoint);
        Assert.Equal(("folder", "2", "dark/light"), (saved["dataset"], saved["classes"], saved["class_names"]));

        // Without --dataset, eval takes the checkpoint's, although lenet5 alone would mean MNIST.
        var (evalCode, evalOutput, evalError) = Gpucnn.Run("eval", "--model", "lenet5", "--checkpoint", checkpoint,
            "--data", root, "--batch-size", "8", "--device", "cpu");

        Assert.True(evalCode == 0, evalError);
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        var last = json.RootElement.GetProperty("epochs")[0];
        Assert.Equal(string.Create(CultureInfo.InvariantCulture,
            $"test loss {last.GetProperty("test_loss").GetDouble():F4} accuracy " +
            $"{last.GetProperty("test_accuracy").GetDouble():P2} (8 images)"), FirstLine(evalOutput));

        Directory.Move(Path.Combine(root, "test", "light"), Path.Combine(root, "test", "pale"));
        var (renamedCode, _, renamed) = Gpucnn.Run("eval", "--model", "lenet5", "--checkpoint", checkpoint,
            "--data", root, "--device", "cpu");

        Assert.Equal(2, renamedCode);
        Assert.Contains("trained on the classes dark, light but", renamed);
        Assert.Contains("has dark, pale; the labels would not match", renamed);
    }

    // eval's first line is the loss and accuracy; the per-class report and the confusion matrix follow it.
    private static string FirstLine(string output) => output.Split('\n')[0].Trim();
}
