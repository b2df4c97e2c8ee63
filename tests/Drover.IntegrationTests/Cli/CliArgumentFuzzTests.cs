using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Cli;

/// <summary>
/// The real binary under random command lines built from its own command tree (words, options,
/// values that fit and values that don't, typos): never a stack trace or a crash, always exit
/// 0, 1 or 2, and a failure is one line on stderr. (Drover.Cli.Tests runs many more in process.)
/// </summary>
public sealed class CliArgumentFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Junk =
    [
        "", "--", "-x", "=", "/", "/x", "0", "-1", "99999999999999999999", "NaN", "json", "a=b", "127.0.0.1:0", "http://",
        "10s", "5q", "all", "ü", "💥", "'", "{", "[1,", new string('x', 2000), "/dev/null", "SRV", "zsh",
    ];

    [Fact(Timeout = 300_000)]
    public async Task Random_command_lines_against_the_binary_end_cleanly()
    {
        var root = DroverRootCommand.Build(new CliContext(new CliConsole(TextWriter.Null, TextWriter.Null, false, 200, false), TimeProvider.System));
        var commands = Walk(root, []).Where(c => c.Path.Length == 0 || c.Path[0] is not ("up" or "server" or "agent")).ToList();
        var lines = Enumerable.Range(1, 96).Select(seed => Line(new Random(seed), commands)).ToList();
        var failures = new List<string>();
        foreach (var batch in lines.Chunk(4))
        {
            var runs = await Task.WhenAll(batch.Select(async args => (args, r: await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), args))));
            foreach (var (args, r) in runs)
            {
                var errLines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var problem = r.TimedOut ? "it hung"
                    : r.ExitCode is < 0 or > 2 ? $"exit code {r.ExitCode}"
                    : (r.Stderr + r.Stdout).Contains("   at ", StringComparison.Ordinal) || r.Stderr.Contains("Unhandled", StringComparison.Ordinal) ? "a stack trace"
                    : r.ExitCode != 0 && errLines.Length != 1 ? $"{errLines.Length} lines on stderr"
                    : null;
                if (problem is not null) failures.Add($"drover {string.Join(' ', args.Select(a => a.Length > 30 ? a[..30] + "…" : a))}: {problem}\n{r}");
            }
        }
        output.WriteLine($"{lines.Count} command lines, {failures.Count} problems");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static string[] Line(Random r, List<(string[] Path, Command Command)> commands)
    {
        var (path, command) = commands[r.Next(commands.Count)];
        var args = new List<string>(path);
        for (var i = r.Next(0, 5); i > 0; i--)
        {
            args.Add(r.Next(3) switch
            {
                0 when command.Options.Count > 0 => command.Options[r.Next(command.Options.Count)].Name,
                1 when command.Subcommands.Count > 0 => command.Subcommands[r.Next(command.Subcommands.Count)].Name + "x",
                _ => Junk[r.Next(Junk.Length)],
            });
        }
        args.RemoveAll(a => a == "-"); // stdin
        if (path is ["dns", ..]) args.AddRange(["--dns", "127.0.0.1:1"]);
        else if (command.Options.Any(o => o.Name == "--server")) args.AddRange(["--server", "http://127.0.0.1:1"]);
        return [.. args];
    }

    private static IEnumerable<(string[] Path, Command Command)> Walk(Command c, string[] path)
    {
        yield return (path, c);
        foreach (var sub in c.Subcommands.Where(s => !s.Hidden)) foreach (var p in Walk(sub, [.. path, sub.Name])) yield return p;
    }
}
