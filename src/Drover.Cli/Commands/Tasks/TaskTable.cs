using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Tasks;

/// <summary>
/// The task table of ps and app show: ID, APP, STATE, HEALTH, HOST:PORTS, AGE, VERSION. On a
/// terminal ids are short unique prefixes (as docker ps) and the table fits the width; --no-trunc
/// and pipes get full ids and versions.
/// </summary>
public static class TaskTable
{
    public static void Write(CommandSession session, IReadOnlyList<MarathonTask> tasks, bool full)
    {
        full |= !session.Console.IsTerminal;
        var names = full ? null : TaskNames.Shorten(tasks.Select(t => t.Id));
        var now = session.Time.GetUtcNow();
        var table = new Table("ID", "APP~", "STATE", "HEALTH", "HOST:PORTS~", "AGE", "VERSION");
        foreach (var t in tasks.OrderBy(x => x.AppId, StringComparer.Ordinal).ThenBy(x => x.StagedAt, StringComparer.Ordinal))
        {
            table.Add(names?[t.Id] ?? t.Id, t.AppId, State(t.State), Health(t), HostPorts(t), Times.Age(t.StartedAt ?? t.StagedAt, now),
                full ? t.Version : Times.CompactVersion(t.Version));
        }
        table.Write(session.Out, full ? int.MaxValue : session.Console.Width);
    }

    public static string State(string state) => state.Replace("TASK_", "", StringComparison.Ordinal).ToLowerInvariant();

    public static string Health(MarathonTask t) =>
        t.HealthCheckResults is not { Count: > 0 } r ? "-" : r.All(x => x.Alive) ? "healthy" : "unhealthy";

    public static string HostPorts(MarathonTask t) =>
        t.Ports.Count == 0 ? t.Host ?? "-" : $"{t.Host}:{string.Join(",", t.Ports)}";
}
