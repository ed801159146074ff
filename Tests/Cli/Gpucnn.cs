using System.Diagnostics;
using GpuCnn.Tests.Datasets;

namespace GpuCnn.Tests.Cli;

/// <summary>Runs the <c>gpucnn</c> tool as a user does, and makes small MNIST-shaped data for it.</summary>
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
}
