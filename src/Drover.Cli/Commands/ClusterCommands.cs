using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;

namespace Drover.Cli.Commands;

public static class ClusterCommands
{
    public static async Task<int> AgentsAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        args.RejectUnknown();
        var agents = await ctx.Client.GetAgentsAsync(ct);
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(agents, ApiJsonContext.Default.AgentsResponse));
            return ExitCodes.Ok;
        }
        var t = new Table("ID", "HOST", "STATUS", "TASKS", "CPUS", "MEM MiB", "DISK MiB", "PORTS", "ATTRIBUTES");
        foreach (var v in agents.Agents.OrderBy(a => a.Agent.Hostname, StringComparer.Ordinal))
        {
            var a = v.Agent;
            t.Add(a.Id, a.Hostname, a.Status.ToString().ToLowerInvariant(), v.Tasks,
                $"{v.UsedCpus:0.##}/{a.Resources.Cpus:0.##}", $"{v.UsedMemMb:0}/{a.Resources.MemMb:0}", $"{v.UsedDiskMb:0}/{a.Resources.DiskMb:0}",
                string.Join(",", a.Resources.Ports.Select(p => $"{p.Begin}-{p.End}")),
                string.Join(",", a.Attributes.Select(kv => $"{kv.Key}={kv.Value}")));
        }
        t.Write(ctx.Out);
        return ExitCodes.Ok;
    }

    public static async Task<int> QueueAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        args.RejectUnknown();
        var queue = await ctx.Client.GetQueueAsync(ct);
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(new QueueResponse(queue), ApiJsonContext.Default.QueueResponse));
            return ExitCodes.Ok;
        }
        var t = new Table("APP", "WAITING", "DELAY", "REASONS");
        foreach (var q in queue)
        {
            var reasons = q.ProcessedOffersSummary?.RejectSummaryLastOffers.Select(r => $"{r.Reason} ({r.Declined}/{r.Processed} agents)") ?? [];
            t.Add(q.App.Id, q.Count, q.Delay.Overdue ? "-" : $"{q.Delay.TimeLeftSeconds:0.#}s", string.Join(", ", reasons));
        }
        t.Write(ctx.Out);
        return ExitCodes.Ok;
    }
}
