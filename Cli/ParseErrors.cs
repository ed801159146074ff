using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace GpuCnn.Cli;

/// <summary>
/// Prints the parser's errors as a user can act on them: one line each, in words rather than .NET types, with the
/// nearest name for a mistyped command, option, model or value, and a pointer to the help on the last line instead
/// of the help itself, which would scroll the error away:
/// <c>gpucnn: unknown model 'lenet'; did you mean 'lenet5'? (gpucnn train --help lists the models)</c>.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>Writes <paramref name="parsed"/>'s errors to <paramref name="error"/>.</summary>
    public static void Report(ParseResult parsed, TextWriter error)
    {
        var command = parsed.CommandResult.Command;
        var root = parsed.RootCommandResult.Command;
        var name = command == root ? "gpucnn" : $"gpucnn {command.Name}";
        var lines = new List<(string Message, string Hint)>();
        var unknown = parsed.Errors.Select(e => Unrecognized().Match(e.Message)).FirstOrDefault(m => m.Success);
        if (unknown is not null)
        {
            // The first unknown token only: those after it are most often its value ('--epoch 3' leaves '3').
            var token = unknown.Groups["token"].Value;
            lines.Add(SwitchValue(parsed, token, command) is { } flag
                ? ($"{flag} must be true or false, got '{token}'", $"See '{name} --help'.")
                : Unknown(token, command, root, name));
        }

        foreach (var e in parsed.Errors.Where(e => !Unrecognized().IsMatch(e.Message)))
        {
            if (e.Message == RequiredCommand && command == root)
            {
                if (unknown is null)
                {
                    lines.Add(($"a command is needed: {string.Join(", ", root.Subcommands.Select(c => c.Name))}",
                        "(gpucnn --help says what each does)"));
                }

                continue; // an unknown command says it better
            }

            lines.Add(Describe(e, name));
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var (message, hint) = lines[i];
            error.WriteLine(i < lines.Count - 1 ? $"gpucnn: {Sentence(message)}"
                : hint.StartsWith('(') ? $"gpucnn: {message} {hint}" : $"gpucnn: {Sentence(message)} {hint}");
        }
    }

    private const string RequiredCommand = "Required command was not provided.";

    // A token the parser matched to nothing: a mistyped command or option, or an argument a command does not take.
    private static (string Message, string Hint) Unknown(string token, Command command, Command root, string name)
    {
        if (token.StartsWith('-'))
        {
            var options = command.Options.Concat(root.Options.Where(o => o.Recursive))
                .SelectMany(o => o.Aliases.Prepend(o.Name));
            var typed = token.Split('=', ':')[0];
            return ($"unknown option '{token}'{Suggestions.DidYouMean(typed, options)}",
                $"({name} --help lists the options)");
        }

        if (command.Subcommands.Count > 0)
        {
            var commands = command.Subcommands.Select(c => c.Name);
            return ($"unknown command '{token}'{Suggestions.DidYouMean(token, commands)}",
                $"({name} --help lists the commands)");
        }

        var takesModel = command.Options.Any(o => o.Name == "--model");
        return takesModel && ModelChoice.Canonical(token) is { } model
            ? ($"unexpected argument '{token}'; did you mean '--model {model}'?", $"({name} --help lists the options)")
            : ($"unexpected argument '{token}'", $"See '{name} --help'.");
    }

    // The switch (an option of true or false, which may go without a value) that a token was meant for.
    private static string? SwitchValue(ParseResult parsed, string token, Command command)
    {
        var at = parsed.Tokens.ToList().FindIndex(t => t.Value == token);
        if (at < 1)
        {
            return null;
        }

        var before = parsed.Tokens[at - 1].Value;
        return command.Options.OfType<Option<bool>>().Any(o => o.Name == before || o.Aliases.Contains(before))
            ? before : null;
    }

    private static (string Message, string Hint) Describe(ParseError error, string name)
    {
        if (ModelChoice.IsModelError(error))
        {
            return (error.Message, $"({name} --help lists the models)");
        }

        var choice = NotAmong().Match(error.Message);
        if (!choice.Success)
        {
            return (Reword(error), $"See '{name} --help'.");
        }

        // "Argument 'adm' not recognized. Must be one of: 'adam' 'adadelta' 'sgd'", on several lines.
        var value = choice.Groups["value"].Value;
        var choices = Quoted().Matches(choice.Groups["choices"].Value).Select(m => m.Groups[1].Value).ToList();
        var option = error.SymbolResult switch
        {
            ArgumentResult { Parent: OptionResult o } => o.IdentifierToken?.Value ?? o.Option.Name,
            OptionResult o => o.IdentifierToken?.Value ?? o.Option.Name,
            ArgumentResult a => a.Argument.Name,
            _ => "the value",
        };
        var list = choices.Count > 1 ? $"{string.Join(", ", choices.SkipLast(1))} or {choices[^1]}" : choices[0];
        return ($"{option} must be {list}, got '{value}'{Suggestions.DidYouMean(value, choices)}",
            $"({name} --help says what each does)");
    }

    // The parser's wording of a missing value, argument or option, shorter and naming what is missing.
    private static string Reword(ParseError error)
    {
        if (MissingValue().Match(error.Message) is { Success: true } value)
        {
            return $"{value.Groups["option"].Value} needs a value";
        }

        if (MissingArgument().IsMatch(error.Message) && error.SymbolResult is CommandResult { Command: var command })
        {
            return $"{command.Name} needs {string.Join(" ", command.Arguments.Select(a => $"<{a.Name}>"))}";
        }

        return MissingOption().Match(error.Message) is { Success: true } option
            ? $"{option.Groups["option"].Value} is required"
            : OptionChecks.Describe(error);
    }

    private static string Sentence(string message) => message.EndsWith('.') || message.EndsWith('?') ||
        message.EndsWith('!') ? message : message + ".";

    [GeneratedRegex("^Unrecognized command or argument '(?<token>.*)'\\.$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex("^Argument '(?<value>.*)' not recognized\\. Must be one of:(?<choices>.*)$",
        RegexOptions.Singleline)]
    private static partial Regex NotAmong();

    [GeneratedRegex("^Required argument missing for option: '(?<option>.*)'\\.$")]
    private static partial Regex MissingValue();

    [GeneratedRegex("^Required argument missing for command: '.*'\\.$")]
    private static partial Regex MissingArgument();

    [GeneratedRegex("^Option '(?<option>.*)' is required\\.$")]
    private static partial Regex MissingOption();

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
