using System.CommandLine;
using System.Globalization;
using System.Net;
using Drover.Api.Client;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Apps;
using Drover.Cli.Output;
using Drover.Core.Json;

namespace Drover.Cli.Commands.Tasks;

/// <summary>
/// drover logs TASK|APP: a task's output, or every task of an app with lines prefixed by task.
/// With -f it follows the app, not the tasks that existed at start: replacement and new tasks join
/// the stream as they are launched.
/// </summary>
public sealed class LogsCommand : ClientCommand
{
    private static readonly TimeSpan TaskListInterval = TimeSpan.FromSeconds(1);

    private readonly Argument<string> _target;
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new output; for an app, new tasks join as they start (Ctrl-C ends)" };
    private readonly Option<bool> _stderr = new("--stderr") { Description = "Show stderr instead of stdout" };
    private readonly Option<string?> _tail = new("--tail", "-n")
    {
        Description = "Lines of history to show per task: a number or 'all' [default: 100 with --follow, else all]",
        HelpName = "N|all",
    };
    private readonly Option<string?> _since = new("--since")
    {
        Description = "Only output written since a time (2026-11-29T20:05:00Z) or for a duration back (10m, 1h); precise to about a second",
        HelpName = "TIME|DURATION",
    };
    private readonly Option<bool> _noPrefix = new("--no-prefix") { Description = "Do not prefix lines with the task for an app" };

    public LogsCommand(CliContext context) : base("logs", "Print (and follow) the output of a task or of every task of an app", context)
    {
        _target = AppIdArgument.WithAppCompletion(new Argument<string>("TASK|APP") { Description = "A task id (or unique prefix, as 'drover ps' shows) or an app id" }, context);
        Arguments.Add(_target);
        Options.Add(_follow);
        Options.Add(_stderr);
        Options.Add(_tail);
        Options.Add(_since);
        Options.Add(_noPrefix);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var follow = result.GetValue(_follow);
        var request = new LogRequest(
            result.GetValue(_stderr) ? "stderr" : "stdout",
            follow,
            Tail(result.GetValue(_tail), follow),
            Since(result.GetValue(_since), session.Time.GetUtcNow()));
        var target = result.GetValue(_target)!;
        var all = target.StartsWith('/') ? [] : await session.Client.ListTasksAsync(null, ct);
        if (TaskNames.Resolve(target, all) is { } task)
        {
            await new LogPump(session, request, prefix: null).RunAsync(task.Id, request.Tail, ct);
            return ExitCodes.Ok;
        }
        if (!target.StartsWith('/') && target.Contains(".instance-", StringComparison.Ordinal))
        {
            // an ended task: its sandbox may still be on the agent
            await new LogPump(session, request, prefix: null).RunAsync(target, request.Tail, ct);
            return ExitCodes.Ok;
        }
        return await FollowAppAsync(session, target, request, !result.GetValue(_noPrefix), ct);
    }

    private static async Task<int> FollowAppAsync(CommandSession session, string appId, LogRequest request, bool prefixed, CancellationToken ct)
    {
        IReadOnlyList<MarathonTask> tasks;
        try { tasks = await session.Client.ListTasksAsync(appId, ct); }
        catch (DroverApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            throw new CliException($"no task or app matches '{appId}' (see 'drover ps' and 'drover app ls')");
        }
        var colors = new TaskColors(session.Console);
        LogPump Pump(MarathonTask t) => new(session, request, prefixed ? colors.Prefix(t.Id) : null);
        if (!request.Follow)
        {
            if (tasks.Count == 0) session.Console.Err.WriteLine($"drover: {appId} has no tasks");
            foreach (var t in tasks.OrderBy(t => t.StagedAt, StringComparer.Ordinal)) await Pump(t).RunAsync(t.Id, request.Tail, ct);
            return ExitCodes.Ok;
        }
        var known = new HashSet<string>(StringComparer.Ordinal);
        var pumps = new List<Task>();
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            foreach (var t in tasks.OrderBy(t => t.StagedAt, StringComparer.Ordinal).Where(t => known.Add(t.Id)))
            {
                // tasks running when we started show their last lines; tasks that start later, all of their output
                pumps.Add(Pump(t).RunAsync(t.Id, first ? request.Tail : null, ct));
            }
            first = false;
            await Task.Delay(TaskListInterval, session.Time, ct);
            try { tasks = await session.Client.ListTasksAsync(appId, ct); }
            catch (DroverApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                session.Console.Err.WriteLine($"drover: {appId} was removed");
                break;
            }
            catch (HttpRequestException) { /* the server may be restarting: keep the streams we have, look again */ }
        }
        await Task.WhenAll(pumps);
        return ExitCodes.Ok;
    }

    private static int? Tail(string? text, bool follow)
    {
        if (text is null) return follow ? 100 : null;
        if (text == "all") return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw new UsageException($"--tail expects a number of lines or 'all', not '{text}'");
    }

    /// <summary>An absolute time, so that tasks joining later use the same point.</summary>
    private static string? Since(string? text, DateTimeOffset now)
    {
        if (text is null) return null;
        if (Durations.TryParse(text, out var back) && back >= TimeSpan.Zero) return MarathonTime.ToWire(now - back);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return MarathonTime.ToWire(at);
        throw new UsageException($"--since expects a time like 2026-11-29T20:05:00Z or a duration like 10m, not '{text}'");
    }
}

public sealed record LogRequest(string Stream, bool Follow, int? Tail, string? Since);
