using System.CommandLine;
using GpuCnn.Cli;

var root = new RootCommand("gpucnn: train, evaluate and inspect convolutional networks");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BenchGemmCommand.Create());
root.Subcommands.Add(FetchCommand.Create());
return root.Parse(args).Invoke();
