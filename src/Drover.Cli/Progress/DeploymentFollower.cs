using System.Net;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;
using Spectre.Console;

namespace Drover.Cli.Progress;

/// <summary>--no-wait and --timeout of every command that starts a deployment.</summary>
public sealed record WaitSettings(bool Wait, TimeSpan? Timeout);

/// <summary>
/// Starts a deployment and follows it until it succeeds (exit 0), fails (exit 1, with the reason)
/// or the --timeout passes (exit 1; the deployment goes on). On a terminal the progress is a live
/// view; otherwise plain lines. Ends come from the event stream, progress from polling the
/// deployment, its apps and the launch queue.
/// </summary>
public sealed class DeploymentFollower(CommandSession session)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <param name="title">What is happening, for the live view: "apply /hello".</param>
    /// <param name="started">The line printed once the server accepted the change.</param>
    public async Task<int> RunAsync(string title, Func<CancellationToken, Task<DeploymentResult>> start, Func<DeploymentResult, string> started,
        WaitSettings wait, CancellationToken ct)
    {
        if (!wait.Wait)
        {
            var r = await start(ct);
            WriteStarted(r, started);
            return ExitCodes.Ok;
        }
        await using var outcomes = await DeploymentOutcomes.AttachAsync(session.Client, ct);
        var result = await start(ct);
        if (!session.Json) WriteStarted(result, started);
        FollowResult follow;
        try
        {
            follow = await FollowAsync(title, result, outcomes, wait.Timeout, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            session.Console.Err.WriteLine($"drover: stopped waiting; deployment {result.DeploymentId} goes on (see 'drover deployments')");
            throw;
        }
        Report(follow);
        return follow.Outcome == FollowOutcome.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private void WriteStarted(DeploymentResult r, Func<DeploymentResult, string> started)
    {
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(r, Api.ApiJsonContext.Default.DeploymentResult));
        else session.Out.WriteLine(started(r));
        session.Out.Flush();
    }

    private async Task<FollowResult> FollowAsync(string title, DeploymentResult r, DeploymentOutcomes outcomes, TimeSpan? timeout, CancellationToken ct)
    {
        var time = session.Time;
        var begin = time.GetTimestamp();
        var deploymentStart = ProgressModel.Parse(r.Version, time.GetUtcNow());
        var ended = outcomes.For(r.DeploymentId);
        DeploymentProgress? last = null;

        async Task<FollowResult> Loop(Action<DeploymentProgress> show)
        {
            while (true)
            {
                var elapsed = time.GetElapsedTime(begin);
                if (ended.IsCompleted)
                {
                    var (ok, reason) = await ended;
                    return new FollowResult(ok ? FollowOutcome.Succeeded : FollowOutcome.Failed, r.DeploymentId, r.Version, ok ? null : reason, elapsed);
                }
                if (timeout is { } limit && elapsed >= limit)
                    return new FollowResult(FollowOutcome.TimedOut, r.DeploymentId, r.Version, LastReasons(last), elapsed);
                var progress = await PollAsync(r.DeploymentId, deploymentStart, elapsed, ct);
                if (progress is null)
                {
                    // gone from the list: the end event is on its way (or the stream was lost)
                    if (await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(3), time, ct)) != ended)
                        return await GuessOutcomeAsync(r, last, time.GetElapsedTime(begin), ct);
                    continue;
                }
                last = progress;
                show(progress);
                var wait = timeout is { } l ? Min(PollInterval, l - elapsed) : PollInterval;
                if (wait > TimeSpan.Zero) await Task.WhenAny(ended, Task.Delay(wait, time, ct));
            }
        }

        if (session.Json || !session.Console.IsTerminal)
        {
            var plain = new PlainProgressView(session.Json ? session.Console.Err : session.Out, time);
            return await Loop(plain.Update);
        }
        var live = new LiveProgressView(title);
        FollowResult? outcome = null;
        await session.Console.Spectre().Live(live.Render()).AutoClear(false).StartAsync(async ctx =>
        {
            outcome = await Loop(p =>
            {
                live.Update(p);
                ctx.UpdateTarget(live.Render());
                ctx.Refresh();
            });
        });
        return outcome!;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string? LastReasons(DeploymentProgress? p) =>
        p is null ? null : string.Join("; ", p.Apps.SelectMany(a => a.Reasons.Count > 0 ? a.Reasons : [a.Summary()]));

    /// <summary>One look at the deployment; null once it is no longer listed.</summary>
    private async Task<DeploymentProgress?> PollAsync(string id, DateTimeOffset deploymentStart, TimeSpan elapsed, CancellationToken ct)
    {
        try
        {
            var deployment = (await session.Client.ListDeploymentsAsync(ct)).FirstOrDefault(d => d.Id == id);
            if (deployment is null) return null;
            var queue = await session.Client.GetQueueAsync(ct);
            var apps = new List<AppProgress>();
            foreach (var action in deployment.CurrentActions)
            {
                var app = await TryGetAppAsync(action.App, ct);
                IReadOnlyList<MarathonTask> leftovers = app is null
                    ? (await session.Client.ListTasksAsync(null, ct)).Where(t => t.AppId == action.App).ToList()
                    : [];
                apps.Add(ProgressModel.ForApp(action, app, leftovers, queue.FirstOrDefault(q => q.App.Id == action.App), deploymentStart));
            }
            return new DeploymentProgress(id, deployment.CurrentStep, deployment.TotalSteps, apps, elapsed);
        }
        catch (HttpRequestException ex)
        {
            // the server may be restarting: keep waiting (the deployment is stored and resumes)
            var reason = new AppProgress { AppId = "", Action = "", Reasons = [$"cannot reach the server ({ex.Message}); retrying"] };
            return new DeploymentProgress(id, 0, 0, [reason], elapsed);
        }
    }

    private async Task<AppInfo?> TryGetAppAsync(string appId, CancellationToken ct)
    {
        try { return await session.Client.GetAppAsync(appId, ct); }
        catch (DroverApiException e) when (e.Status == HttpStatusCode.NotFound) { return null; }
    }

    /// <summary>The deployment ended but its event was lost: judge by where the apps are now.</summary>
    private async Task<FollowResult> GuessOutcomeAsync(DeploymentResult r, DeploymentProgress? last, TimeSpan elapsed, CancellationToken ct)
    {
        foreach (var appId in last?.Apps.Select(a => a.AppId).Where(a => a.Length > 0) ?? [])
        {
            var app = await TryGetAppAsync(appId, ct);
            if (app is not null && string.CompareOrdinal(app.VersionInfo?.LastConfigChangeAt ?? app.Version, r.Version) > 0)
                return new FollowResult(FollowOutcome.Failed, r.DeploymentId, r.Version, $"{appId} is now at version {app.Version}: the deployment was reverted or replaced", elapsed);
        }
        return new FollowResult(FollowOutcome.Succeeded, r.DeploymentId, r.Version, null, elapsed);
    }

    private void Report(FollowResult f)
    {
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(new FollowReport(f.DeploymentId, f.Version, f.Outcome.ToString().ToLowerInvariant(), f.Reason, Math.Round(f.Elapsed.TotalSeconds, 3)), CliJsonContext.Default.FollowReport));
            return;
        }
        var line = f.Outcome switch
        {
            FollowOutcome.Succeeded => $"deployment {f.DeploymentId} succeeded in {Times.Elapsed(f.Elapsed)}",
            FollowOutcome.Failed => $"deployment {f.DeploymentId} FAILED after {Times.Elapsed(f.Elapsed)}: {f.Reason}",
            _ => $"gave up waiting after {Times.Elapsed(f.Elapsed)}; deployment {f.DeploymentId} goes on (see 'drover deployments'){(f.Reason is { Length: > 0 } why ? ": " + why : "")}",
        };
        session.Out.WriteLine(line);
        session.Out.Flush();
    }
}

/// <summary>The JSON a following command prints at the end with --output json.</summary>
public sealed record FollowReport(string DeploymentId, string Version, string Outcome, string? Reason, double ElapsedSeconds);
