using System.Text.Json;
using Drover.Api;
using Drover.Api.Client;
using Drover.Api.Marathon;

namespace Drover.Cli.Commands;

/// <summary>drover deployments | deployment rm | app rollback | events, and the live progress of app apply.</summary>
public static class DeploymentCommands
{
    public static async Task<int> ListAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        args.RejectUnknown();
        var list = await ctx.Client.ListDeploymentsAsync(ct);
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(list, ApiJsonContext.Default.ListDeploymentInfo));
            return ExitCodes.Ok;
        }
        var t = new Table("ID", "APPS", "STEP", "ACTIONS", "VERSION");
        foreach (var d in list)
            t.Add(d.Id, string.Join(",", d.AffectedApps), $"{d.CurrentStep}/{d.TotalSteps}",
                string.Join(", ", d.CurrentActions.Select(a => $"{a.Action} {a.App}")), d.Version);
        t.Write(ctx.Out);
        return ExitCodes.Ok;
    }

    public static async Task<int> RemoveAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "deployment id");
        var force = args.Flag("--force");
        args.RejectUnknown();
        var r = await ctx.Client.CancelDeploymentAsync(id, force, ct);
        if (r is null) ctx.Out.WriteLine($"stopped deployment {id} where it was (no rollback)");
        else ctx.Out.WriteLine($"reverting deployment {id}: new deployment {r.DeploymentId} (version {r.Version})");
        return ExitCodes.Ok;
    }

    public static async Task<int> RollbackAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        var to = args.Get("--to");
        var force = args.Flag("--force");
        var wait = !args.Flag("--no-wait");
        args.RejectUnknown();
        if (to is null)
        {
            var app = await ctx.Client.GetAppAsync(id, ct);
            var versions = (await ctx.Client.ListVersionsAsync(id, ct)).Order(StringComparer.Ordinal).ToList();
            // the newest version whose config differs from the current one (scales keep the config)
            var current = app.VersionInfo?.LastConfigChangeAt ?? app.Version;
            to = versions.LastOrDefault(v => string.CompareOrdinal(v, current) < 0)
                 ?? throw new CliException($"{id} has no earlier version to roll back to");
        }
        var target = to;
        void Started(DeploymentResult r) => ctx.Out.WriteLine($"rolling {id} back to {target} (deployment {r.DeploymentId})");
        if (!wait)
        {
            Started(await ctx.Client.RollbackAppAsync(id, to, force, ct));
            return ExitCodes.Ok;
        }
        return await RunAndFollowAsync(ctx, () => ctx.Client.RollbackAppAsync(id, target, force, ct), Started, ct);
    }

    public static async Task<int> EventsAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var types = args.All("--type").SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToList();
        args.RejectUnknown();
        await foreach (var e in ctx.Client.StreamEventsAsync(types, ct))
        {
            if (ctx.Json) ctx.Out.WriteLine(e.Data.GetRawText());
            else ctx.Out.WriteLine($"{Field(e.Data, "timestamp")} {e.Type} {Summary(e)}");
            ctx.Out.Flush();
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Prints a deployment's progress (step, healthy/total per app) until it succeeds (exit 0) or
    /// fails (exit 1). Success and failure come from the event stream, progress from polling.
    /// </summary>
    /// <remarks>The stream is attached before <paramref name="start"/> runs, so a deployment that ends at once is not missed.</remarks>
    public static async Task<int> RunAndFollowAsync(CommandContext ctx, Func<Task<DeploymentResult>> start, Action<DeploymentResult> started, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var outcome = new TaskCompletionSource<(bool Ok, string Detail)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deploymentId = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listen = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in ctx.Client.StreamEventsAsync(["deployment_success", "deployment_failed", "event_stream_attached"], stop.Token))
                {
                    if (e.Type == "event_stream_attached") { attached.TrySetResult(); continue; }
                    if (Field(e.Data, "id") != await deploymentId.Task) continue;
                    outcome.TrySetResult(e.Type == "deployment_success" ? (true, "") : (false, Field(e.Data, "reason")));
                    return;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException) { }
            finally { attached.TrySetResult(); }
        }, CancellationToken.None);
        await Task.WhenAny(attached.Task, Task.Delay(TimeSpan.FromSeconds(5), ct));
        DeploymentResult result;
        try
        {
            result = await start();
        }
        catch
        {
            await stop.CancelAsync();
            deploymentId.TrySetCanceled();
            await listen;
            throw;
        }
        deploymentId.TrySetResult(result.DeploymentId);
        started(result);
        return await ProgressAsync(ctx, result.DeploymentId, outcome, stop, listen, ct);
    }

    private static async Task<int> ProgressAsync(CommandContext ctx, string deploymentId, TaskCompletionSource<(bool Ok, string Detail)> outcome,
        CancellationTokenSource stop, Task listen, CancellationToken ct)
    {
        var last = "";
        try
        {
            while (!outcome.Task.IsCompleted)
            {
                var list = await ctx.Client.ListDeploymentsAsync(ct);
                var d = list.FirstOrDefault(x => x.Id == deploymentId);
                if (d is null)
                {
                    // finished between polls: give the event a moment, then trust the list
                    if (await Task.WhenAny(outcome.Task, Task.Delay(TimeSpan.FromSeconds(2), ct)) != outcome.Task)
                        outcome.TrySetResult((true, "finished"));
                    break;
                }
                var parts = new List<string>();
                foreach (var a in d.CurrentActions)
                {
                    try
                    {
                        var app = await ctx.Client.GetAppAsync(a.App, ct);
                        // tasks of the new config: launched at or after its last config change
                        var config = app.VersionInfo?.LastConfigChangeAt ?? app.Version ?? "";
                        var tasks = app.Tasks ?? [];
                        var fresh = tasks.Where(t => string.CompareOrdinal(t.Version, config) >= 0).ToList();
                        var ready = fresh.Count(t => t.State == "TASK_RUNNING" && (app.HealthChecks.Count == 0 || (t.HealthCheckResults?.Count > 0 && t.HealthCheckResults.All(r => r.Alive))));
                        parts.Add($"{a.Action} {a.App}: {ready}/{app.Instances} new {(app.HealthChecks.Count > 0 ? "healthy" : "running")}, {tasks.Count - fresh.Count} old");
                    }
                    catch (DroverApiException) { parts.Add($"{a.Action} {a.App}"); }
                }
                var line = $"step {d.CurrentStep}/{d.TotalSteps}: {string.Join("; ", parts)}";
                if (line != last) { ctx.Out.WriteLine("  " + line); ctx.Out.Flush(); last = line; }
                await Task.WhenAny(outcome.Task, Task.Delay(500, ct));
            }
            var (ok, detail) = await outcome.Task;
            ctx.Out.WriteLine(ok ? $"deployment {deploymentId} succeeded" : $"deployment {deploymentId} FAILED: {detail}");
            return ok ? ExitCodes.Ok : ExitCodes.Failed;
        }
        finally
        {
            await stop.CancelAsync();
            await listen;
        }
    }

    private static string Field(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";

    private static string Summary(DroverClient.StreamEvent e) => e.Type switch
    {
        "status_update_event" => $"{Field(e.Data, "appId")} {Field(e.Data, "taskId")} {Field(e.Data, "taskStatus")} {Field(e.Data, "message")}",
        "deployment_info" or "deployment_step_success" or "deployment_step_failure" => $"{Field(e.Data.GetProperty("plan"), "id")}",
        "deployment_success" => Field(e.Data, "id"),
        "deployment_failed" => $"{Field(e.Data, "id")}: {Field(e.Data, "reason")}",
        "health_status_changed_event" => $"{Field(e.Data, "appId")} {Field(e.Data, "instanceId")} alive={Field(e.Data, "alive")}",
        "api_post_event" => $"{Field(e.Data, "uri")}",
        "app_terminated_event" => Field(e.Data, "appId"),
        _ => "",
    };
}
