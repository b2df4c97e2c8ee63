using System.Text.Json;
using Drover.Api;
using Drover.Api.Client;
using Drover.Api.Marathon;

namespace Drover.Cli.Commands;

public static class TaskCommands
{
    public static async Task<int> PsAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var appId = args.Positionals.Count > 0 ? args.Positionals[0] : null;
        args.RejectUnknown();
        var tasks = await ctx.Client.ListTasksAsync(appId, ct);
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(new TasksResponse(tasks), ApiJsonContext.Default.TasksResponse));
        else WriteTasks(ctx.Out, tasks);
        return ExitCodes.Ok;
    }

    public static void WriteTasks(TextWriter w, IReadOnlyList<MarathonTask> tasks)
    {
        var t = new Table("TASK", "APP", "STATE", "HEALTH", "HOST", "PORTS", "STARTED");
        foreach (var task in tasks.OrderBy(x => x.AppId, StringComparer.Ordinal).ThenBy(x => x.StagedAt, StringComparer.Ordinal))
        {
            var health = task.HealthCheckResults is not { Count: > 0 } r ? "-" : r.All(x => x.Alive) ? "healthy" : "unhealthy";
            t.Add(task.Id, task.AppId, task.State.Replace("TASK_", "", StringComparison.Ordinal), health, task.Host, string.Join(",", task.Ports), task.StartedAt ?? "-");
        }
        t.Write(w);
    }

    public static async Task<int> KillAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        args.RejectUnknown();
        if (args.Positionals.Count == 0) throw new UsageException("kill needs one or more task ids");
        var killed = await ctx.Client.KillTasksAsync(args.Positionals, ct);
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(new TasksResponse(killed), ApiJsonContext.Default.TasksResponse));
        else foreach (var t in killed) ctx.Out.WriteLine($"killing {t.Id}");
        if (killed.Count < args.Positionals.Count) throw new CliException($"{args.Positionals.Count - killed.Count} of the tasks were not found");
        return ExitCodes.Ok;
    }

    /// <summary>logs TASK prints one task; logs APP prints every task of the app, prefixed with the task id.</summary>
    public static async Task<int> LogsAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var target = args.Positional(0, "task id or app id");
        var follow = args.Flag("-f", "--follow");
        var stream = args.Flag("--stderr") ? "stderr" : "stdout";
        args.RejectUnknown();
        IReadOnlyList<string> taskIds;
        var prefix = false;
        if (target.StartsWith('/') || !target.Contains('.'))
        {
            var tasks = await ctx.Client.ListTasksAsync(target, ct);
            if (tasks.Count == 0) throw new CliException($"app {target} has no tasks");
            taskIds = tasks.Select(t => t.Id).ToList();
            prefix = taskIds.Count > 1;
        }
        else taskIds = [target];
        var writeLock = new object();
        await Task.WhenAll(taskIds.Select(id => PumpAsync(ctx.Client, id, stream, follow, prefix ? ShortId(id) + " | " : "", ctx.Out, writeLock, ct)));
        return ExitCodes.Ok;
    }

    private static async Task PumpAsync(DroverClient client, string taskId, string stream, bool follow, string prefix, TextWriter w, object writeLock, CancellationToken ct)
    {
        var pending = "";
        await foreach (var chunk in client.StreamLogAsync(taskId, stream, follow, ct))
        {
            if (prefix.Length == 0) { lock (writeLock) { w.Write(chunk); w.Flush(); } continue; }
            pending += chunk;
            var nl = pending.LastIndexOf('\n');
            if (nl < 0) continue;
            var lines = pending[..nl].Split('\n');
            pending = pending[(nl + 1)..];
            lock (writeLock) { foreach (var l in lines) w.WriteLine(prefix + l); w.Flush(); }
        }
        if (pending.Length > 0) lock (writeLock) w.WriteLine(prefix + pending);
    }

    private static string ShortId(string taskId)
    {
        var i = taskId.IndexOf(".instance-", StringComparison.Ordinal);
        return i < 0 ? taskId : taskId[..i] + "." + taskId.Substring(i + 10, Math.Min(8, taskId.Length - i - 10));
    }
}
