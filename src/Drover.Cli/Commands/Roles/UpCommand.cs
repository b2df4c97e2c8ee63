using System.CommandLine;
using Drover.Agent;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Roles;

/// <summary>drover up: the all-in-one cluster (server + one agent + DNS) in this process, state under --data-dir.</summary>
public sealed partial class UpCommand : Command
{
    private readonly ServerRoleOptions _server = new();
    private readonly AgentRoleOptions _agent = new("--agent-listen");
    private readonly Option<bool> _keepTasks = new("--keep-tasks")
    {
        Description = "Leave the tasks running when stopping (the next 'drover up' re-adopts them)",
    };
    private readonly LbRoleOptions _lb = new("lb-");
    private readonly Option<bool> _noLb = new("--no-lb")
    {
        Description = "Do not start the load balancer (by default up starts one when haproxy is on PATH)",
    };
    private readonly Option<bool> _ha = new("--ha")
    {
        Description = "Run the control plane highly available on this machine: a local 3-member etcd (etcd from PATH) "
            + "and 3 servers on loopback ports (the first on --listen), the agent and the lb joined to all three",
    };
    private readonly CliContext _context;
    private readonly LogFormatOption _logFormat = new();

    public UpCommand(CliContext context) : base("up", "Run the all-in-one cluster: server, one agent and DNS, with state in --data-dir")
    {
        _context = context;
        _server.AddTo(this, includeAdvertise: false);
        _agent.AddTo(this);
        Options.Add(_keepTasks);
        Options.Add(_noLb);
        Options.Add(_ha);
        _lb.AddTo(this, full: false);
        _logFormat.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        if (result.GetValue(_ha)) return await RunHaAsync(result, ct);
        var dataDir = Path.GetFullPath(result.GetValue(_server.DataDir) ?? ServerRoleOptions.DefaultDataDir());
        var serverOptions = _server.Read(result, Path.Combine(dataDir, "server"), advertise: result.GetValue(_agent.Advertise));
        var agentOptions = _agent.Read(result, "http://placeholder", Path.Combine(dataDir, "agent"), token: null)
            with { KillTasksOnStop = !result.GetValue(_keepTasks) };
        var w = _logFormat.Lines(result, _context.Console);
        w.WriteLine($"[1/3] state: {RoleHosting.StateText(serverOptions)}");
        w.Flush();
        await using var server = await RoleHosting.StartServerAsync(serverOptions, RoleErrors.Server, _logFormat.Json(result), ct);
        w.WriteLine($"[2/3] server: {server.Url} (Marathon API at {server.Url}v2/apps, Consul API at {server.Url}v1/catalog/services){RoleHosting.DnsText(server, serverOptions)}");
        foreach (var line in RoleHosting.SecurityLines("      server", server, serverOptions)) w.WriteLine(line);
        w.Flush();
        using var loggers = RoleHosting.Logging(_logFormat.Json(result));
        // the agent of this host joins like any other: over TLS when it is on, with the cluster's join token
        var joinUrl = (server.TlsUrl ?? server.Url).ToString().TrimEnd('/');
        await using var agent = new DroverAgent(agentOptions with { ServerUrl = joinUrl, Token = server.JoinToken?.ToString() }, loggers);
        await RoleHosting.StartAgentAsync(agent, RoleErrors.Agent("--agent-listen"), ct);
        await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30), ct);
        w.WriteLine($"[3/3] agent: {agent.AgentId} on {agentOptions.Hostname}, ports {agentOptions.Ports}, endpoint {agent.Endpoint}");
        await using var lb = await StartLbAsync(result, dataDir, [server.Url], serverOptions, loggers, ct);
        w.WriteLine($"Drover is up. Try: ./drover app apply -f examples/hello.json   (Ctrl-C stops {(agentOptions.KillTasksOnStop ? "everything" : "the cluster; tasks keep running")})");
        w.Flush();
        await RoleHosting.WaitForStopAsync(ct);
        w.WriteLine("stopping...");
        w.Flush();
        // the agent first, so the server hears that its tasks were stopped on purpose, and it does not replace them
        // the lb first: it deregisters while the server still answers
        if (lb is not null) await lb.DisposeAsync();
        server.PauseScheduling();
        using (var stopDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await agent.StopAsync(stopDeadline.Token);
        await server.StopAsync();
        return ExitCodes.Ok;
    }

    /// <summary>The lb of this host, when haproxy is there and --no-lb is not given; a failure to start it is a warning, not the end of the cluster.</summary>
    private async Task<LbOnUp?> StartLbAsync(ParseResult result, string dataDir, IReadOnlyList<Uri> servers, Server.ServerOptions serverOptions,
        Microsoft.Extensions.Logging.ILoggerFactory loggers, CancellationToken ct)
    {
        var w = _logFormat.Lines(result, _context.Console);
        if (result.GetValue(_noLb)) return null;
        if (!LbRoleOptions.HaproxyAvailable())
        {
            w.WriteLine("      lb: off (no haproxy on PATH; install haproxy for HAPROXY_* label routing)");
            return null;
        }
        var options = _lb.Read(result, Path.Combine(dataDir, "lb"), full: false);
        // several servers (--ha): the client follows the leader and skips one that is down, as `drover lb --server a,b,c` does
        var client = servers.Count == 1
            ? new Api.Client.DroverClient(servers[0], serverOptions.ApiToken)
            : new Api.Client.DroverClient(servers[0], serverOptions.ApiToken, new Api.Client.ServerList(servers, new HttpClientHandler()));
        var lb = new Lb.LbHost(options, client, loggers);
        try
        {
            await lb.StartAsync(ct);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or ArgumentException or System.ComponentModel.Win32Exception)
        {
            await lb.DisposeAsync();
            client.Dispose();
            w.WriteLine($"      lb: not started: {e.Message} (--no-lb turns it off)");
            return null;
        }
        w.WriteLine($"      lb: HTTP routes (HAPROXY_n_VHOST/PATH) on {options.BindAddress}:{options.HttpPort}, status {lb.StatusUrl}lb/status");
        return new LbOnUp(lb, client);
    }

    private sealed class LbOnUp(Lb.LbHost lb, Api.Client.DroverClient client) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            await lb.DisposeAsync();
            client.Dispose();
        }
    }
}
