using System.CommandLine;
using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Kernels;

namespace GpuCnn.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>The <c>--model</c> option, taking the zoo's models whose input <paramref name="inputs"/> allows, in
    /// any case (<see cref="ModelChoice"/>).</summary>
    public static Option<string> Model(bool required = false, ModelInputs inputs = ModelInputs.Mnist) => new("--model")
    {
        Description = ModelChoice.Description(inputs),
        DefaultValueFactory = _ => "lenet5",
        Required = required,
        CustomParser = result => ModelChoice.Parse(result, inputs),
    };

    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "Accelerator: auto (a CUDA GPU, else an OpenCL GPU, else the CPU backend), cpu, opencl (the " +
                "first GPU, else the first OpenCL device), opencl:N, cuda (the first CUDA GPU, through ILGPU), cuda:N " +
                "(see 'gpucnn devices') or ilgpu-cpu (the CUDA kernels on ILGPU's CPU accelerator, slow: for checks)",
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

    /// <summary>The <c>--data</c> option (also <c>--data-dir</c>) of the commands that read MNIST alone.</summary>
    public static Option<string> DataDir() => new("--data", "--data-dir")
    {
        HelpName = "DIR",
        Description = "Folder of the MNIST IDX files (fetched there when absent); default $GPUCNN_DATA_DIR or " +
            "./data/mnist",
        DefaultValueFactory = _ => Mnist.DefaultDataDir,
    };

    /// <summary>The <c>--batch-size</c> option (also <c>--batch</c>) of every command with a batch.</summary>
    public static Option<int> BatchSize(string description = "Samples per step") =>
        new Option<int>("--batch-size", "--batch")
        {
            Description = description,
            DefaultValueFactory = _ => 64,
        }.AtLeast(1);

    /// <summary>The <c>--dataset</c> option of <c>train</c> and <c>eval</c>; null when not given, so that the
    /// model's input shape (or the checkpoint) can choose.</summary>
    public static Option<string?> Dataset()
    {
        var option = new Option<string?>("--dataset")
        {
            Description = "mnist, cifar10 (the binary version's data_batch_1..5.bin and test_batch.bin) or folder " +
                "(DIR/train and DIR/test, one sub-folder of PNGs per class, resized to the model's input); default: " +
                "cifar10 for models of 3x32x32 input, else mnist (eval: the checkpoint's dataset)",
        };
        option.AcceptOnlyFromAmong([.. TrainingData.Names]);
        return option;
    }

    /// <summary>The <c>--data</c> option (also <c>--data-dir</c>) of <c>train</c> and <c>eval</c>; null when not
    /// given, so that each dataset takes its own default folder.</summary>
    public static Option<string?> Data() => new("--data", "--data-dir")
    {
        HelpName = "DIR",
        Description = "Folder of the dataset: MNIST's IDX files (fetched there when absent; default $GPUCNN_DATA_DIR " +
            "or ./data/mnist), CIFAR-10's .bin files (default ./data/cifar-10-batches-bin) or the image folder",
    };
}

/// <summary>Which models of the zoo a command's <c>--model</c> accepts.</summary>
internal enum ModelInputs
{
    /// <summary>Models of MNIST's 1x28x28 input, for the commands that feed digits.</summary>
    Mnist,

    /// <summary>Models that one of the datasets of <c>train</c> and <c>eval</c> can feed.</summary>
    Datasets,

    /// <summary>Every model.</summary>
    Any,
}
