using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app ls: apps with their instances running, healthy and the deployment they are in.</summary>
public sealed class AppListCommand : ClientCommand
{
    private readonly Option<bool> _noTrunc = new("--no-trunc") { Description = "Full versions, and no cutting of columns to fit the terminal" };

    public AppListCommand(CliContext context) : base("ls", "List apps with instances running, healthy and in deployment", context)
    {
        Aliases.Add("list");
        Options.Add(_noTrunc);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var apps = await session.Client.ListAppsAsync(false, ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(new AppsResponse(apps), ApiJsonContext.Default.AppsResponse));
            return ExitCodes.Ok;
        }
        var full = result.GetValue(_noTrunc) || !session.Console.IsTerminal;
        var t = new Table("ID~", "INSTANCES", "RUNNING", "HEALTHY", "UNHEALTHY", "CPUS", "MEM", "DEPLOYING", "VERSION");
        foreach (var a in apps.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            var checks = a.HealthChecks.Count > 0;
            t.Add(a.Id, a.Instances, a.TasksRunning, checks ? a.TasksHealthy : "-", checks ? a.TasksUnhealthy : "-", a.Cpus, a.Mem,
                a.Deployments.Count > 0 ? "yes" : "-", full ? a.Version : Times.CompactVersion(a.Version));
        }
        t.Write(session.Out, full ? int.MaxValue : session.Console.Width);
        return ExitCodes.Ok;
    }
}
