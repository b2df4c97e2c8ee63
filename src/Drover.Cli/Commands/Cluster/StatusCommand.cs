using System.CommandLine;
using System.Text.Json;
using Drover.Api.Status;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Cluster;

/// <summary>
/// drover status: versions, uptime, the store, the leader, agents by state, DNS and lbs of the server asked. Exits 1
/// when the cluster cannot take writes (no leader, or a store that lost its quorum), so scripts can wait on it.
/// </summary>
public sealed class StatusCommand : ClientCommand
{
    public StatusCommand(CliContext context)
        : base("status", "Show the server's version, uptime, store, leader, agents by state, DNS and lbs (exit 1 without a leader or with a stale store)", context) { }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var s = await session.Client.GetStatusAsync(ct);
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(s, StatusJsonContext.Default.DroverStatus));
        else Write(session.Out, s, session.Time.GetUtcNow());
        return s.Leader is null || s.Store.Stale ? ExitCodes.Failed : ExitCodes.Ok;
    }

    public static void Write(TextWriter w, DroverStatus s, DateTimeOffset now)
    {
        var store = s.Store;
        w.WriteLine($"{(s.Commit is { } c ? $"drover {s.Version} (commit {c})" : $"drover {s.Version}")}, Marathon API {s.MarathonVersion}");
        w.WriteLine($"server       {s.Server}, up {Times.Span(TimeSpan.FromSeconds(s.UptimeSeconds))}");
        w.WriteLine($"leader       {(s.Leader is null ? $"none: {s.NoLeaderCause}" : s.IsLeader ? $"{s.Leader} (this server)" : s.Leader)}");
        w.WriteLine($"store        {store.Kind}{(store.Location is { } l ? " " + l : "")}"
                    + (store.SizeBytes is { } size ? $", {StatsView.Bytes((ulong)size)}" : "")
                    + $", index {store.Index}"
                    + (store.LastWriteAt is { } at ? $", last write {Times.Span(now - at)} ago" : "")
                    + (store.Stale ? $" — STALE: {store.StaleCause}" : ""));
        var a = s.Agents;
        w.WriteLine($"agents       {a.Total}: {a.Active} active, {a.Draining} draining, {a.Unreachable} unreachable");
        w.WriteLine($"apps         {s.Apps}, tasks {s.Tasks}, deployments {s.Deployments}");
        w.WriteLine($"dns          {(s.Dns is { } d ? $"udp {d.Udp}, tcp {d.Tcp}, domain {d.Domain}" : "off")}");
        if (s.Lbs.Count == 0) w.WriteLine($"lbs          {(s.IsLeader ? "none registered" : "registered with the leader")}");
        foreach (var lb in s.Lbs)
            w.WriteLine($"lb           {lb.Id} ({lb.Group ?? "external"}): {(lb.Live ? "live" : "missing heartbeats")}, applied index {lb.AppliedIndex}, last seen {lb.LastSeenAt}");
    }
}
