using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Cluster;

/// <summary>drover agents: agents with their status and used/total resources.</summary>
public sealed class AgentsCommand : ClientCommand
{
    public AgentsCommand(CliContext context) : base("agents", "List agents with status, tasks, used/total resources, task drivers and attributes", context) { }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var agents = await session.Client.GetAgentsAsync(ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(agents, ApiJsonContext.Default.AgentsResponse));
            return ExitCodes.Ok;
        }
        var t = new Table("ID~", "HOST", "STATUS", "TASKS", "CPUS", "MEM MiB", "DISK MiB", "PORTS~", "DRIVERS", "ATTRIBUTES~");
        foreach (var v in agents.Agents.OrderBy(a => a.Agent.Hostname, StringComparer.Ordinal))
        {
            var a = v.Agent;
            var status = a.Status.ToString().ToLowerInvariant();
            // "drained" says the drain is over; an unreachable agent that drains shows both
            if (v.Drain is { } drain && drain != status) status = a.Status == Core.Cluster.AgentStatus.Unreachable ? $"{status}, {drain}" : drain;
            t.Add(a.Id, a.Hostname, status, v.Tasks,
                $"{v.UsedCpus:0.##}/{a.Resources.Cpus:0.##}", $"{v.UsedMemMb:0}/{a.Resources.MemMb:0}", $"{v.UsedDiskMb:0}/{a.Resources.DiskMb:0}",
                string.Join(",", a.Resources.Ports.Select(p => $"{p.Begin}-{p.End}")) + HeldSuffix(a.HeldPorts),
                string.Join(",", a.Drivers),
                string.Join(",", a.Attributes.Select(kv => $"{kv.Key}={kv.Value}")));
        }
        t.Write(session.Out, session.Console.Width);
        return ExitCodes.Ok;
    }

    /// <summary>" (held: 31005,31007)": ports another program holds, which tasks do not get.</summary>
    private static string HeldSuffix(IReadOnlyList<int> held) => held.Count == 0 ? "" : $" (held: {string.Join(",", held)})";
}
