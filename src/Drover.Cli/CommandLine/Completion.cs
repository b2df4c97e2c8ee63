using System.CommandLine;

namespace Drover.Cli.CommandLine;

/// <summary>
/// drover completion bash|zsh prints a script that asks drover itself (the hidden
/// <c>__complete</c> command) for the candidates, so commands, options, option values and app ids
/// complete from the same command tree that parses them.
/// </summary>
public sealed class CompletionCommand : Command
{
    public const string HiddenName = "__complete";

    private readonly Argument<string> _shell = new("SHELL") { Description = "bash or zsh" };

    public CompletionCommand(CliContext context) : base("completion", "Print a shell completion script: source <(drover completion bash)")
    {
        _shell.AcceptOnlyFromAmong("bash", "zsh");
        Arguments.Add(_shell);
        SetAction(result =>
        {
            context.Console.Out.Write(result.GetValue(_shell) == "zsh" ? Zsh : Bash);
            return ExitCodes.Ok;
        });
    }

    public const string Bash = """
        # drover bash completion: source <(drover completion bash), or save it in /etc/bash_completion.d/drover
        _drover_complete() {
          local IFS=$'\n'
          COMPREPLY=($(COLUMNS=200 "${COMP_WORDS[0]}" __complete "$((COMP_CWORD - 1))" "${COMP_WORDS[@]:1}" 2>/dev/null))
        }
        complete -o default -F _drover_complete drover

        """;

    public const string Zsh = """
        #compdef drover
        # drover zsh completion: source <(drover completion zsh), or save it as _drover in a directory of $fpath
        _drover() {
          local -a candidates
          candidates=("${(@f)$(COLUMNS=200 "${words[1]}" __complete "$((CURRENT - 2))" "${(@)words[2,-1]}" 2>/dev/null)}")
          compadd -a candidates
        }
        compdef _drover drover

        """;

    /// <summary>
    /// The candidates for word <paramref name="index"/> of <paramref name="words"/> (the words after
    /// "drover"; the word being completed may be missing or empty).
    /// </summary>
    public static IReadOnlyList<string> Candidates(RootCommand root, IReadOnlyList<string> words, int index)
    {
        index = Math.Clamp(index, 0, words.Count);
        var before = words.Take(index).ToList();
        var current = index < words.Count ? words[index] : "";
        var found = Complete(root, current.Length > 0 ? [.. before, current] : before, current);
        if (found.Count == 0 && current.Length > 0) found = Complete(root, before, current);
        return found;
    }

    private static List<string> Complete(RootCommand root, List<string> words, string current)
    {
        var text = string.Join(' ', words);
        var line = current.Length > 0 ? text : text.Length > 0 ? text + " " : "";
        var result = root.Parse(words);
        return result.GetCompletions(line.Length)
            .Select(c => c.InsertText ?? c.Label)
            .Where(c => c.StartsWith(current, StringComparison.Ordinal))
            .Where(c => c is not ("-?" or "/?" or "/h" or "-h"))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }
}
