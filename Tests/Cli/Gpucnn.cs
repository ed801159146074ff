using System.Diagnostics;
using GpuCnn.Datasets;
using GpuCnn.Tests.Datasets;

namespace GpuCnn.Tests.Cli;

/// <summary>Runs the <c>gpucnn</c> tool as a user does, and makes small MNIST- and CIFAR-10-shaped data for it.
/// </summary>
internal static class Gpucnn
{
    /// <summary>A separate process of the tool built beside the tests: its exit code and both outputs.</summary>
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "gpucnn.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// Writes the four MNIST files with <paramref name="train"/> and <paramref name="test"/> 28x28 images: a bright
    /// bar whose row follows the label, so that a network can learn something in a few steps.
    /// </summary>
    public static void WriteTinyMnist(IdxFixture fixture, int train, int test)
    {
        void Write(string images, string labels, int count)
        {
            var pixels = new byte[count * 784];
            var classes = new byte[count];
            for (var i = 0; i < count; i++)
            {
                classes[i] = (byte)(i % 10);
                var row = 3 + 2 * classes[i];
                for (var x = 4; x < 24; x++)
                {
                    pixels[i * 784 + row * 28 + x] = (byte)(200 + i % 50);
                }
            }

            fixture.Write(images, IdxFixture.ImageFile(count, 28, 28, pixels));
            fixture.Write(labels, IdxFixture.LabelFile(classes));
        }

        Write("train-images-idx3-ubyte", "train-labels-idx1-ubyte", train);
        Write("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test);
    }

    /// <summary>
    /// Writes CIFAR-10's six binary files with <paramref name="perTrainFile"/> records in each training file and
    /// <paramref name="test"/> in the test file: dim noise, and a bright bar whose rows and colour channel follow
    /// the label, so that a network can learn something in a few steps.
    /// </summary>
    public static void WriteTinyCifar10(IdxFixture fixture, int perTrainFile, int test)
    {
        void Write(string name, int count, int first)
        {
            var bytes = new byte[count * Cifar10.RecordSize];
            for (var i = 0; i < count; i++)
            {
                var record = bytes.AsSpan(i * Cifar10.RecordSize, Cifar10.RecordSize);
                var label = (first + i) % 10;
                record[0] = (byte)label;
                var pixels = record[1..];
                for (var p = 0; p < pixels.Length; p++)
                {
                    pixels[p] = (byte)((p * 7 + (first + i) * 13) % 50);
                }

                var plane = pixels.Slice(label % 3 * 1024, 1024);
                for (var y = 3 * label; y < 3 * label + 3; y++)
                {
                    plane.Slice(y * 32, 32).Fill(220);
                }
            }

            fixture.Write(name, bytes);
        }

        for (var b = 0; b < Cifar10.TrainFiles.Count; b++)
        {
            Write(Cifar10.TrainFiles[b], perTrainFile, b * perTrainFile);
        }

        Write(Cifar10.TestFile, test, 3);
    }
}
