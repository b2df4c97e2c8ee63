using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Tasks;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app show ID: one app's definition summary, last failure and tasks.</summary>
public sealed class AppShowCommand : ClientCommand
{
    private readonly Argument<string> _id;

    public AppShowCommand(CliContext context) : base("show", "Show one app with its tasks and last failure", context)
    {
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var app = await session.Client.GetAppAsync(result.GetValue(_id)!, ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(new AppResponse(app), ApiJsonContext.Default.AppResponse));
            return ExitCodes.Ok;
        }
        var w = session.Out;
        w.WriteLine($"id:         {app.Id}");
        w.WriteLine($"command:    {app.Cmd ?? string.Join(' ', app.Args ?? [])}");
        if (app.Container is { } c) w.WriteLine($"container:  {c.Type} {c.Docker?.Image}");
        w.WriteLine($"instances:  {app.Instances} (running {app.TasksRunning}, staged {app.TasksStaged}, healthy {app.TasksHealthy}, unhealthy {app.TasksUnhealthy})");
        w.WriteLine($"resources:  cpus {app.Cpus}, mem {app.Mem} MiB, disk {app.Disk} MiB");
        w.WriteLine($"ports:      {string.Join(", ", app.PortDefinitions.Select(p => p.Name is null ? $"{p.Port}" : $"{p.Name}={p.Port}"))}");
        w.WriteLine($"version:    {app.Version} (config {app.VersionInfo?.LastConfigChangeAt})");
        if (app.Deployments.Count > 0) w.WriteLine($"deploying:  {string.Join(", ", app.Deployments.Select(d => d.Id))}");
        if (app.LastTaskFailure is { } f) w.WriteLine($"last failure: {f.TaskId} {f.State} at {f.Timestamp}: {f.Message}");
        w.WriteLine();
        TaskTable.Write(session, app.Tasks ?? [], full: false);
        return ExitCodes.Ok;
    }
}
