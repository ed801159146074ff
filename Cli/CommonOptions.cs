using System.CommandLine;
using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>The <c>--model</c> option; commands that feed MNIST digits take only the models of MNIST's input
    /// shape (<paramref name="mnistOnly"/>), the others every model of the zoo.</summary>
    public static Option<string> Model(bool required = false, bool mnistOnly = true)
    {
        string[] names = [.. ModelZoo.Names.Where(n => !mnistOnly || ModelZoo.InputShape(n).Equals(MnistShape))];
        var option = new Option<string>("--model")
        {
            Description = $"Model: {string.Join(", ", names)}",
            DefaultValueFactory = _ => "lenet5",
            Required = required,
        };
        option.AcceptOnlyFromAmong(names);
        return option;
    }

    private static readonly Shape MnistShape = new(1, 28, 28);

    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "Accelerator: auto (an OpenCL GPU, else the CPU backend), cpu, opencl (the first GPU, else " +
                "the first OpenCL device) or opencl:N (see 'gpucnn devices')",
            DefaultValueFactory = _ => "auto",
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !AcceleratorFactory.IsValid(value))
            {
                result.AddError($"Unknown device '{value}'; use {AcceleratorFactory.Syntax}.");
            }
        });
        return option;
    }

    public static Option<string> DataDir() => new("--data-dir")
    {
        Description = "Folder of the MNIST IDX files (fetched there when absent); default $GPUCNN_DATA_DIR or ./data/mnist",
        DefaultValueFactory = _ => Mnist.DefaultDataDir,
    };

    public static Option<int> BatchSize() => new("--batch-size")
    {
        Description = "Samples per step",
        DefaultValueFactory = _ => 64,
    };

    public static Option<string> Dataset()
    {
        var option = new Option<string>("--dataset") { Description = "Dataset", DefaultValueFactory = _ => "mnist" };
        option.AcceptOnlyFromAmong("mnist");
        return option;
    }
}
