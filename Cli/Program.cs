using System.CommandLine;
using GpuCnn.Cli;
using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Kernels.OpenCL;

var root = new RootCommand("gpucnn: train, evaluate and inspect convolutional networks");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(SelfTestCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BenchGemmCommand.Create());
root.Subcommands.Add(BenchConvCommand.Create());
root.Subcommands.Add(BenchAllreduceCommand.Create());
root.Subcommands.Add(FetchCommand.Create());
root.Subcommands.Add(ExerciseCommand.Create());
root.Subcommands.Add(VisualizeCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
HelpWidth.Apply(root);
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line per error and a pointer to the help, rather than the whole help text after the error.
    ParseErrors.Report(parsed, Console.Error);
    return 1;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is InvalidDataException or IOException or GraphException or ArgumentException
    or InvalidOperationException or UnauthorizedAccessException or OptionException or DeviceMemoryException
    or OpenCLException)
{
    // These carry messages written for the user (the file, the node, the shapes); a stack trace adds nothing.
    Console.Error.WriteLine($"gpucnn: {e.Message}");
    return 1;
}
