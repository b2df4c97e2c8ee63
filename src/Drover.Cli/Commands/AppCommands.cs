using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;

namespace Drover.Cli.Commands;

public static class AppCommands
{
    public static async Task<int> ApplyAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var file = args.Get("-f", "--file") ?? throw new UsageException("app apply needs -f FILE (JSON or YAML; - for stdin)");
        var force = args.Flag("--force");
        var wait = !args.Flag("--no-wait");
        args.RejectUnknown();
        var def = AppFile.Read(file);
        var failed = false;
        var apps = def.ValueKind == JsonValueKind.Array ? def.EnumerateArray().ToList() : [def];
        foreach (var app in apps)
        {
            if (app.ValueKind != JsonValueKind.Object || !app.TryGetProperty("id", out var idProp) || idProp.ValueKind != JsonValueKind.String)
                throw new CliException($"{file}: every app needs a string \"id\"");
            var id = idProp.GetString()!;
            var definition = app;
            Task<DeploymentResult> Put() => ctx.Client.PutAppAsync(id, definition, force, partialUpdate: false, ct);
            void Started(DeploymentResult r)
            {
                if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(r, ApiJsonContext.Default.DeploymentResult));
                else ctx.Out.WriteLine($"applied {id} version {r.Version} (deployment {r.DeploymentId})");
            }
            if (wait && !ctx.Json) failed |= await DeploymentCommands.RunAndFollowAsync(ctx, Put, Started, ct) != ExitCodes.Ok;
            else Started(await Put());
        }
        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    public static async Task<int> ListAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        args.RejectUnknown();
        var apps = await ctx.Client.ListAppsAsync(false, ct);
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(new AppsResponse(apps), ApiJsonContext.Default.AppsResponse));
            return ExitCodes.Ok;
        }
        var t = new Table("ID", "INSTANCES", "RUNNING", "STAGED", "HEALTHY", "UNHEALTHY", "CPUS", "MEM", "VERSION");
        foreach (var a in apps.OrderBy(a => a.Id, StringComparer.Ordinal))
            t.Add(a.Id, a.Instances, a.TasksRunning, a.TasksStaged, a.HealthChecks.Count == 0 ? "-" : a.TasksHealthy, a.HealthChecks.Count == 0 ? "-" : a.TasksUnhealthy, a.Cpus, a.Mem, a.Version);
        t.Write(ctx.Out);
        return ExitCodes.Ok;
    }

    public static async Task<int> ShowAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        args.RejectUnknown();
        var app = await ctx.Client.GetAppAsync(id, ct);
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(new AppResponse(app), ApiJsonContext.Default.AppResponse));
            return ExitCodes.Ok;
        }
        ctx.Out.WriteLine($"id:         {app.Id}");
        ctx.Out.WriteLine($"command:    {app.Cmd ?? string.Join(' ', app.Args ?? [])}");
        ctx.Out.WriteLine($"instances:  {app.Instances} (running {app.TasksRunning}, staged {app.TasksStaged}, healthy {app.TasksHealthy}, unhealthy {app.TasksUnhealthy})");
        ctx.Out.WriteLine($"resources:  cpus {app.Cpus}, mem {app.Mem} MiB, disk {app.Disk} MiB");
        ctx.Out.WriteLine($"ports:      {string.Join(", ", app.PortDefinitions.Select(p => p.Name is null ? $"{p.Port}" : $"{p.Name}={p.Port}"))}");
        ctx.Out.WriteLine($"version:    {app.Version}");
        if (app.LastTaskFailure is { } f)
            ctx.Out.WriteLine($"last failure: {f.TaskId} {f.State} at {f.Timestamp}: {f.Message}");
        ctx.Out.WriteLine();
        TaskCommands.WriteTasks(ctx.Out, app.Tasks ?? []);
        return ExitCodes.Ok;
    }

    public static async Task<int> ScaleAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        if (!int.TryParse(args.Positional(1, "instance count"), out var n) || n < 0)
            throw new UsageException($"instance count must be a non-negative integer, not '{args.Positionals[1]}'");
        var force = args.Flag("--force");
        args.RejectUnknown();
        var r = await ctx.Client.ScaleAppAsync(id, n, force, ct);
        return Report(ctx, r, $"scaled {id} to {n}");
    }

    public static async Task<int> RestartAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        var force = args.Flag("--force");
        args.RejectUnknown();
        return Report(ctx, await ctx.Client.RestartAppAsync(id, force, ct), $"restarting {id}");
    }

    public static async Task<int> RemoveAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        args.RejectUnknown();
        return Report(ctx, await ctx.Client.DeleteAppAsync(id, true, ct), $"removed {id}");
    }

    public static async Task<int> VersionsAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var id = args.Positional(0, "app id");
        args.RejectUnknown();
        var versions = await ctx.Client.ListVersionsAsync(id, ct);
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(new VersionsResponse(versions), ApiJsonContext.Default.VersionsResponse));
        else foreach (var v in versions) ctx.Out.WriteLine(v);
        return ExitCodes.Ok;
    }

    private static int Report(CommandContext ctx, DeploymentResult r, string text)
    {
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(r, ApiJsonContext.Default.DeploymentResult));
        else ctx.Out.WriteLine($"{text} (version {r.Version}, deployment {r.DeploymentId})");
        return ExitCodes.Ok;
    }
}
