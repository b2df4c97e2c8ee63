using System.CommandLine;
using System.Text.Json;
using Drover.Agent;
using Drover.Cli.CommandLine;
using Drover.Server;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// drover up --ha: the HA control plane on one machine, for trying it — a local 3-member etcd as child processes,
/// 3 servers in this process sharing it (the first on --listen and --dns-listen, the others on free loopback ports),
/// the agent joined to all three, and the lb following whichever is leader.
/// </summary>
public sealed partial class UpCommand
{
    private const int HaServers = 3;

    private async Task<int> RunHaAsync(ParseResult result, CancellationToken ct)
    {
        var dataDir = Path.GetFullPath(result.GetValue(_server.DataDir) ?? ServerRoleOptions.DefaultDataDir());
        if (result.GetValue(_server.Etcd) is not null) throw new UsageException("--ha starts its own etcd; to use another etcd cluster, run drover server --etcd without --ha");
        if (result.GetValue(_server.InMemory)) throw new UsageException("--ha keeps the state in a local etcd; it does not combine with --in-memory");
        if (result.GetValue(_server.TlsListen) is not null) throw new UsageException("--ha does not combine with --tls-listen yet");
        var first = _server.Read(result, Path.Combine(dataDir, "server-1"), advertise: result.GetValue(_agent.Advertise));
        var agentOptions = _agent.Read(result, "http://placeholder", Path.Combine(dataDir, "agent"), token: null)
            with { KillTasksOnStop = !result.GetValue(_keepTasks) };
        var w = _logFormat.Lines(result, _context.Console);

        w.WriteLine($"[1/4] etcd: starting 3 members (data and logs in {Path.Combine(dataDir, "etcd")})");
        w.Flush();
        await using var etcd = await LocalEtcd.StartAsync(Path.Combine(dataDir, "etcd"), TimeSpan.FromSeconds(60), ct,
            line => { w.WriteLine($"      etcd: {line}"); w.Flush(); });
        w.WriteLine($"      etcd: {etcd.Endpoints} (pids {string.Join(", ", etcd.Pids)})");

        var servers = new List<DroverServer>();
        try
        {
            var listenHost = ServerOptions.ParseEndPoint(first.Listen).Address.ToString();
            var dnsHost = first.DnsListen is { } dns ? ServerOptions.ParseEndPoint(dns.Contains(':') ? dns : dns + ":0").Address.ToString() : null;
            for (var i = 0; i < HaServers; i++)
            {
                // one after another: the first creates the cluster's join token in etcd, the others find it there
                var options = (i == 0 ? first : first with
                {
                    Listen = $"{listenHost}:0",
                    DnsListen = dnsHost is null ? null : $"{dnsHost}:0",
                    DataDir = Path.Combine(dataDir, $"server-{i + 1}"),
                }) with { Etcd = etcd.Endpoints };
                servers.Add(await RoleHosting.StartServerAsync(options, RoleErrors.Server, _logFormat.Json(result), ct));
                var s = servers[^1];
                w.WriteLine($"[2/4] server {i + 1}: {s.Url}{RoleHosting.DnsText(s, options)}");
                w.Flush();
            }
            var urls = servers.Select(s => s.Url).ToList();
            var leader = await LeaderAsync(urls, ct);
            w.WriteLine($"      leader: {leader} (GET /v2/leader on any server; DELETE /v2/leader makes it step down)");
            var joins = string.Join(",", urls.Select(u => u.ToString().TrimEnd('/')));
            foreach (var line in RoleHosting.SecurityLines("      servers", servers[0], first).Where(l => !l.Contains(" join token", StringComparison.Ordinal)))
                w.WriteLine(line);
            if (servers[0].JoinToken is { } token)
                w.WriteLine($"      servers: one join token for all three (kept in the store); agents join with:{Environment.NewLine}  drover agent --join {joins} --token {token}");
            w.Flush();

            using var loggers = RoleHosting.Logging(_logFormat.Json(result));
            await using var agent = new DroverAgent(agentOptions with { ServerUrl = joins, Token = servers[0].JoinToken?.ToString() }, loggers);
            await RoleHosting.StartAgentAsync(agent, RoleErrors.Agent("--agent-listen"), ct);
            await agent.Registered.WaitAsync(TimeSpan.FromSeconds(60), ct);
            w.WriteLine($"[3/4] agent: {agent.AgentId} on {agentOptions.Hostname}, ports {agentOptions.Ports}, endpoint {agent.Endpoint}, joined to {joins}");
            await using var lb = await StartLbAsync(result, dataDir, urls, first, loggers, ct);
            w.WriteLine($"[4/4] Drover is up (HA). Try: ./drover --server {joins} app apply -f examples/hello.json   "
                + $"(Ctrl-C stops {(agentOptions.KillTasksOnStop ? "everything" : "the cluster; tasks keep running")})");
            w.Flush();
            await RoleHosting.WaitForStopAsync(ct);
            w.WriteLine("stopping...");
            w.Flush();
            // as drover up: the lb first (it deregisters while the servers answer), then the agent, so no server replaces its tasks
            if (lb is not null) await lb.DisposeAsync();
            foreach (var s in servers) s.PauseScheduling();
            using (var stopDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await agent.StopAsync(stopDeadline.Token);
            return ExitCodes.Ok;
        }
        finally
        {
            // the servers before etcd, which goes last (by PID) when `etcd` is disposed; the leader after the
            // followers, so stopping does not hand leadership from one server to the next
            foreach (var s in servers.OrderBy(s => s.IsLeader))
            {
                await s.StopAsync();
                await s.DisposeAsync();
            }
        }
    }

    /// <summary>The leader the first server names on /v2/leader, once one is elected.</summary>
    private static async Task<string> LeaderAsync(IReadOnlyList<Uri> servers, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var r = await http.GetAsync(new Uri(servers[0], "/v2/leader"), ct);
                if (r.IsSuccessStatusCode)
                {
                    using var doc = await JsonDocument.ParseAsync(await r.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
                    if (doc.RootElement.TryGetProperty("leader", out var l) && l.GetString() is { Length: > 0 } leader) return leader;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
            {
                // not elected yet
            }
            if (DateTime.UtcNow > until) throw new CliException("no leader elected among the 3 servers within 60 s");
            await Task.Delay(100, ct);
        }
    }
}
