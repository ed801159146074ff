namespace GpuCnn.Cli;

/// <summary>A command-line option whose value cannot work (a path that cannot be written, a batch that cannot fit);
/// the message names the option and the value, and the tool prints it as one line and exits with 1.</summary>
internal sealed class OptionException(string message) : Exception(message);
