using System.CommandLine;
using System.Text.Json;
using Drover.Api.Stats;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Apps;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Tasks;

/// <summary>
/// drover top [APP]: CPU, memory, network and disk of the running tasks and their hosts. On a terminal a live table
/// redrawn in place, as top and `docker stats` do (q or Ctrl-C quits and gives the terminal back as it was); in a
/// pipe, with --no-stream or --output json, one reading.
/// </summary>
public sealed class TopCommand : ClientCommand
{
    private readonly Argument<string?> _app;
    private readonly Option<bool> _noStream = new("--no-stream") { Description = "Print one reading and exit (what a pipe always gets)" };
    private readonly Option<TimeSpan> _interval = new("--interval", "-n")
    {
        Description = "Time between readings on a terminal, e.g. 2s (default) or 500ms",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
        CustomParser = r =>
        {
            if (ValueParsers.Duration(r) is not { } d) return default;
            if (d < TimeSpan.FromMilliseconds(200)) r.AddError($"--interval must be at least 200ms, not '{r.Tokens.Single().Value}'");
            return d;
        },
    };
    private readonly Option<bool> _noTrunc = new("--no-trunc") { Description = "Full task ids; no cutting of columns to fit the terminal" };

    public TopCommand(CliContext context) : base("top", "Live CPU, memory, network and disk of running tasks and their hosts (like top or docker stats)", context)
    {
        _app = AppIdArgument.WithAppCompletion(new Argument<string?>("APP") { Description = "Only this app's tasks (or every app under this group)", Arity = ArgumentArity.ZeroOrOne }, context);
        Arguments.Add(_app);
        Options.Add(_noStream);
        Options.Add(_interval);
        Options.Add(_noTrunc);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var app = result.GetValue(_app);
        // pipes always get full task ids, as from ps
        var noTrunc = result.GetValue(_noTrunc) || !session.Console.IsTerminal;
        if (session.Json || result.GetValue(_noStream) || !session.Console.IsTerminal)
        {
            var stats = await session.Client.GetClusterStatsAsync(app, ct);
            if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(stats, StatsJsonContext.Default.ClusterStats));
            else StatsView.Write(session.Out, stats, noTrunc ? int.MaxValue : session.Console.Width, noTrunc);
            return ExitCodes.Ok;
        }
        await LiveAsync(session, app, result.GetValue(_interval), noTrunc, ct);
        return ExitCodes.Ok;
    }

    private async Task LiveAsync(CommandSession session, string? app, TimeSpan interval, bool noTrunc, CancellationToken ct)
    {
        using var quit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keys = Context.ReadKeys is { } readKeys ? readKeys(c => { if (c is 'q' or 'Q') quit.Cancel(); }, quit.Token) : Task.CompletedTask;
        var w = session.Out;
        // the alternate screen, as top uses: quitting puts back what the terminal showed before
        w.Write("\u001b[?1049h\u001b[?25l");
        try
        {
            while (!quit.IsCancellationRequested)
            {
                string frame;
                try
                {
                    var stats = await session.Client.GetClusterStatsAsync(app, quit.Token);
                    var text = new StringWriter();
                    text.WriteLine($"drover top{(app is null ? "" : " " + app)} · {session.Client.BaseAddress} · {session.Time.GetLocalNow():HH:mm:ss} · every {(interval < TimeSpan.FromSeconds(1) ? $"{interval.TotalMilliseconds:0}ms" : Times.Span(interval))} · q quits");
                    text.WriteLine();
                    StatsView.Write(text, stats, noTrunc ? int.MaxValue : session.Console.Width, noTrunc);
                    frame = text.ToString();
                }
                catch (Exception e) when (e is Api.Client.DroverApiException or HttpRequestException)
                {
                    // the server may be restarting or electing: keep the screen, say why, try again
                    frame = $"drover top · {session.Client.BaseAddress} · {session.Time.GetLocalNow():HH:mm:ss}\n\n{e.Message}\n";
                }
                w.Write("\u001b[H" + frame.Replace("\r", "").Replace("\n", "\u001b[K\n") + "\u001b[J");
                w.Flush();
                await Task.Delay(interval, session.Time, quit.Token);
            }
        }
        catch (OperationCanceledException) when (quit.IsCancellationRequested)
        {
            // q or Ctrl-C: a normal end
        }
        finally
        {
            w.Write("\u001b[?25h\u001b[?1049l");
            w.Flush();
            await quit.CancelAsync();
            await keys;
        }
    }
}
