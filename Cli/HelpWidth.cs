using System.CommandLine;
using System.CommandLine.Help;

namespace GpuCnn.Cli;

/// <summary>
/// Wraps every command's help at 100 columns, or at the terminal's width when it is narrower. Without a limit the
/// parser lays help out as wide as its longest line when the output is not a terminal (a pipe, a file, a test),
/// and as wide as the terminal otherwise, which on a wide one leaves descriptions far from their options.
/// </summary>
internal static class HelpWidth
{
    /// <summary>The widest help line.</summary>
    public const int Max = 100;

    /// <summary>Sets the width of <paramref name="root"/>'s help option, which every command shares.</summary>
    public static void Apply(RootCommand root)
    {
        foreach (var option in root.Options.OfType<HelpOption>())
        {
            if (option.Action is HelpAction help)
            {
                help.MaxWidth = Columns();
            }
        }
    }

    private static int Columns()
    {
        if (Console.IsOutputRedirected)
        {
            return Max;
        }

        try
        {
            var width = Console.WindowWidth;
            return width >= 40 ? Math.Min(width, Max) : Max;
        }
        catch (IOException)
        {
            return Max;
        }
    }
}
