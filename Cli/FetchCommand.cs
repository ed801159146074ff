using System.CommandLine;
using GpuCnn.Datasets;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn fetch</c>: downloads and verifies MNIST into the data folder.</summary>
internal static class FetchCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var command = new Command("fetch", "Fetch MNIST into the data folder and verify its checksums") { dataDir };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(dataDir)!;
            var (train, test) = Mnist.LoadOrFetch(dir, m => Console.Error.WriteLine(m));
            Console.WriteLine($"MNIST in {Path.GetFullPath(dir)}: {train.Count:N0} training and {test.Count:N0} test images");
            return 0;
        });
        return command;
    }
}
