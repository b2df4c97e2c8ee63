using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Drover.Core.Validation;

namespace Drover.Cli.CommandLine;

/// <summary>
/// Turns System.CommandLine's parse errors into one line that names the problem, suggests the
/// closest command or option for a typo, and says where the help is, e.g.
/// <c>unknown command 'scal' for 'drover app' (did you mean 'scale'?); see 'drover app --help'</c>.
/// </summary>
public static partial class ParseErrorReporter
{
    public static string Describe(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var path = CommandPath(result.CommandResult);
        return $"{Problem(result, command, path)}; see '{path} --help'";
    }

    private static string Problem(ParseResult result, Command command, string path)
    {
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            if (token.StartsWith('-') && token.Length > 1)
            {
                var options = AllOptions(command).SelectMany(o => o.Aliases.Append(o.Name)).Where(n => n.StartsWith('-')).Distinct();
                return $"unknown option '{token}' for '{path}'{DidYouMean(token.Split('=')[0], options)}";
            }
            var argumentsFilled = command.Arguments.Count == 0 || result.CommandResult.Tokens.Count > 0;
            if (command.Subcommands.Count > 0 && argumentsFilled)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Append(c.Name));
                return $"unknown command '{token}' for '{path}'{DidYouMean(token, names)}";
            }
            return $"unexpected argument '{token}' for '{path}'";
        }
        var error = result.Errors[0];
        if (command.Subcommands.Count > 0 && result.CommandResult.Tokens.Count == 0 && error.Message.StartsWith("Required command", StringComparison.Ordinal))
            return $"'{path}' needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        var required = RequiredOption().Match(error.Message);
        if (required.Success)
        {
            var requiredOption = AllOptions(command).FirstOrDefault(o => o.Name == required.Groups[1].Value);
            return $"option {required.Groups[1].Value} is required{(requiredOption?.Description is { Length: > 0 } d ? $" ({Trim(d)})" : "")}";
        }
        if (error.SymbolResult is OptionResult option)
            return OptionProblem(option, error.Message);
        if (error.SymbolResult is ArgumentResult argument && argument.Tokens.Count > 0)
        {
            var text = Trim(error.Message);
            return argument.Parent is OptionResult owner && ValueParsers.Name(argument) is var name && !text.Contains(name, StringComparison.Ordinal) ? $"{name}: {text}" : text;
        }
        var missing = command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0 && result.GetResult(a) is not { Tokens.Count: > 0 });
        if (missing is not null && error.Message.StartsWith("Required argument", StringComparison.Ordinal))
            return $"missing {Label(missing)}{(missing.Description is { Length: > 0 } d ? $" ({Trim(d)})" : "")}";
        return Trim(error.Message);
    }

    private static string OptionProblem(OptionResult option, string message)
    {
        var name = option.IdentifierToken?.Value ?? option.Option.Name;
        if (message.StartsWith("Required argument", StringComparison.Ordinal))
            return $"option {name} needs a value ({option.Option.HelpName ?? "a value"})";
        var text = Trim(message);
        return text.Contains(name, StringComparison.Ordinal) ? text : $"{name}: {text}";
    }

    private static string Label(Argument a) => "<" + (a.HelpName ?? a.Name) + ">";

    /// <summary>One line without the trailing period; "Argument 'x' not recognized. Must be one of: 'a' 'b'" → "'x' is not one of: a, b".</summary>
    private static string Trim(string message)
    {
        var oneLine = Regex.Replace(message.Trim(), @"\s*\n\s*", " ").TrimEnd('.');
        var cannot = CannotParse().Match(oneLine);
        if (cannot.Success) return $"{cannot.Groups[2].Value}: '{cannot.Groups[1].Value}' is not {TypeWords(cannot.Groups[3].Value)}";
        var m = NotAmong().Match(oneLine);
        return m.Success ? $"'{m.Groups[1].Value}' is not one of: {string.Join(", ", Regex.Matches(m.Groups[2].Value, "'([^']*)'").Select(x => x.Groups[1].Value))}" : oneLine;
    }

    private static string TypeWords(string type) =>
        type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
        : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) ? "a number"
        : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
        : "valid here";

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for (?:option|command) '([^']*)' as expected type '([^']*)'")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Option '([^']+)' is required")]
    private static partial Regex RequiredOption();

    [GeneratedRegex(@"^Argument '(.*)' not recognized\. Must be one of: (.*)$")]
    private static partial Regex NotAmong();

    private static IEnumerable<Option> AllOptions(Command command)
    {
        foreach (var o in command.Options) yield return o;
        foreach (var parent in Ancestors(command))
            foreach (var o in parent.Options.Where(o => o.Recursive)) yield return o;
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var p = command.Parents.OfType<Command>().FirstOrDefault(); p is not null; p = p.Parents.OfType<Command>().FirstOrDefault())
            yield return p;
    }

    private static string DidYouMean(string input, IEnumerable<string> candidates) =>
        NameSuggestions.Closest(input, candidates) is { } best ? $" (did you mean '{best}'?)" : "";

    /// <summary>"drover app scale": the words of the command that was matched.</summary>
    public static string CommandPath(CommandResult result)
    {
        var words = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c) words.Add(c.Command is RootCommand ? "drover" : c.Command.Name);
        }
        words.Reverse();
        return string.Join(' ', words);
    }
}
