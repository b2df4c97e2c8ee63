using System.CommandLine;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>
/// Random command lines built from the command tree (its words, options, values that fit and values
/// that don't, typos, junk): never a stack trace, always exit 0, 1 or 2, and at most one line on stderr.
/// </summary>
public sealed class ArgumentFuzzTests
{
    private static readonly string[] Junk =
    [
        "", " ", "--", "-", "-x", "---", "--=", "=", "/", "//", "/x", "/x/../y", "0", "-1", "999999999999999999999", "1e309", "NaN",
        "true", "json", "table", "yaml", "a=b", "=b", "a=", "127.0.0.1:0", "http://", "http://127.0.0.1:1", "ftp://x", "@", "@/nonexistent",
        "10s", "5q", "-5s", "all", "\u0000", "ü", "名前", "💥", "'", "\"", "$(id)", "%s%n", "{", "[1,2", "a b", new string('x', 3000),
        "/proc/self/mem", "/dev/null", "/tmp", "A", "SRV", "ANY", "TXT", "bash", "zsh",
    ];

    private static readonly HashSet<string> Roles = ["up", "server", "agent"];

    [Fact(Timeout = 240_000)]
    public async Task Random_command_lines_never_crash()
    {
        var root = DroverRootCommand.Build(CliHarness.Context(new StringWriter(), new StringWriter()));
        var commands = Walk(root, []).Where(p => p.Path.Length == 0 || !Roles.Contains(p.Path[0])).ToList();
        var words = commands.SelectMany(c => c.Path).Concat(commands.SelectMany(c => c.Command.Options.SelectMany(o => o.Aliases.Append(o.Name)))).Distinct().ToArray();
        var failures = new List<string>();
        for (var seed = 1; seed <= 1200; seed++)
        {
            var random = new Random(seed);
            var (path, command) = commands[random.Next(commands.Count)];
            var args = new List<string>(path);
            var extra = random.Next(0, 6);
            for (var i = 0; i < extra; i++) args.Add(Token(random, command, words));
            if (random.Next(4) == 0 && args.Count > 0) args[random.Next(args.Count)] = Typo(random, args[random.Next(args.Count)]);
            // never wait on a real server or stdin
            args.RemoveAll(a => a == "-");
            if (path is ["dns", ..]) args.AddRange(["--dns", "127.0.0.1:1"]);
            else if (command.Options.Any(o => o.Name == "--server")) args.AddRange(["--server", CliHarness.DeadServer]);
            if (path is ["logs", ..] or ["events", ..] && random.Next(2) == 0) args.Add("--follow");
            var run = await CliHarness.RunAsync([.. args]);
            var problem = run.ExitCode is < 0 or > 2 ? $"exit code {run.ExitCode}"
                : run.ErrLines.Length > 1 ? "more than one line on stderr"
                : run.Err.Contains("   at ", StringComparison.Ordinal) || run.Err.Contains("internal error", StringComparison.Ordinal) ? "a stack trace or an internal error"
                : run.ExitCode != 0 && run.ErrLines.Length == 0 ? "a failure without a message"
                : null;
            if (problem is not null) failures.Add($"seed {seed}: drover {string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "…" : a))}: {problem}\n{run}");
            if (failures.Count >= 5) break;
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static string Token(Random r, Command command, string[] words) => r.Next(6) switch
    {
        0 or 1 when command.Options.Count > 0 => command.Options[r.Next(command.Options.Count)] is var o && o.Aliases.Count > 0 && r.Next(2) == 0 ? o.Aliases.First() : command.Options[r.Next(command.Options.Count)].Name,
        2 => words[r.Next(words.Length)],
        3 when command.Options.Count > 0 => $"{command.Options[r.Next(command.Options.Count)].Name}={Junk[r.Next(Junk.Length)]}",
        _ => Junk[r.Next(Junk.Length)],
    };

    private static string Typo(Random r, string word)
    {
        if (word.Length < 2) return word + "x";
        var i = r.Next(word.Length - 1);
        var chars = word.ToCharArray();
        (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
        return new string(chars);
    }

    private static IEnumerable<(string[] Path, Command Command)> Walk(Command c, string[] path)
    {
        yield return (path, c);
        foreach (var sub in c.Subcommands.Where(s => !s.Hidden)) foreach (var p in Walk(sub, [.. path, sub.Name])) yield return p;
    }
}
