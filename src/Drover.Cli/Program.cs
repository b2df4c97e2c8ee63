using System.Runtime.InteropServices;
using Drover.Cli.CommandLine;

namespace Drover.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });
        var console = CliConsole.FromProcess();
        var context = new CliContext(console, TimeProvider.System)
        {
            Confirm = console.IsTerminal && !Console.IsInputRedirected ? Ask : null,
            ReadKeys = console.IsTerminal && !Console.IsInputRedirected ? ReadKeysAsync : null,
        };
        return await CliRunner.RunAsync(args, context, cts.Token);
    }

    private static async Task ReadKeysAsync(Action<char> onKey, CancellationToken ct)
    {
        // polled: Console.ReadKey blocks a thread that cancellation cannot wake
        while (!ct.IsCancellationRequested)
        {
            while (Console.KeyAvailable) onKey(Console.ReadKey(intercept: true).KeyChar);
            try { await Task.Delay(50, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static bool Ask(string question)
    {
        Console.Write($"{question} [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
