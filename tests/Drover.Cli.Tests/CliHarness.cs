using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>Runs the CLI in this process with captured output, not on a terminal.</summary>
public static class CliHarness
{
    /// <summary>A server URL nobody listens on: commands that reach the network fail at once.</summary>
    public const string DeadServer = "http://127.0.0.1:1";

    public sealed record Run(int ExitCode, string Out, string Err)
    {
        public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        public override string ToString() => $"exit {ExitCode}\n--- out\n{Out}\n--- err\n{Err}";
    }

    public static CliContext Context(StringWriter output, StringWriter error, bool terminal = false, Func<string, bool>? confirm = null) =>
        new(new CliConsole(output, error, terminal, terminal ? 100 : int.MaxValue / 4, color: false), TimeProvider.System) { Confirm = confirm };

    public static async Task<Run> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var code = await CliRunner.RunAsync(args, Context(output, error), timeout.Token);
        return new Run(code, output.ToString(), error.ToString());
    }
}
