using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>A real server and one real agent on 127.0.0.1, shared by the tests of one class.</summary>
public sealed class ServerWithAgentFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new("cluster");

    private DroverProcess? _server;
    private DroverProcess? _agent;

    public DroverProcess Server => _server ?? throw new InvalidOperationException("server not started");

    public DroverProcess Agent => _agent ?? throw new InvalidOperationException("agent not started");

    public Uri BaseAddress => Server.BaseAddress!;

    public async Task InitializeAsync()
    {
        _server = await DroverProcess.StartServerAsync(_dir.CreateSubdirectory("server"));
        _agent = DroverProcess.StartAgent(BaseAddress, _dir.CreateSubdirectory("agent"), hostname: "agent-1", ports: LocalCluster.NextPortRange());
        using var client = new DroverClient(BaseAddress);
        await Eventually.AsyncAssert(async () =>
        {
            if (Agent.HasExited) throw new EventuallyAbortedException("agent exited\n" + Agent.FormatOutput());
            var agents = await client.GetAgentsAsync();
            return agents.Agents.Any(a => a.Agent.Hostname == "agent-1");
        }, TimeSpan.FromSeconds(60), "agent-1 should register with the server", Diagnostics);
    }

    public string Diagnostics() => Server.FormatOutput() + "\n" + Agent.FormatOutput();

    public async Task DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class ServerSmokeTests(ServerWithAgentFixture cluster, ITestOutputHelper output) : IClassFixture<ServerWithAgentFixture>
{
    [Fact]
    public async Task Ping_answers_pong()
    {
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };
        var text = await http.GetStringAsync("/ping");
        Assert.Equal("pong", text.Trim().Trim('"'));
    }

    [Fact]
    public async Task Python_marathon_client_runs_the_whole_app_lifecycle()
    {
        var result = await PythonClient.RunAsync("marathon_client_check.py", TimeSpan.FromMinutes(5),
            cluster.BaseAddress.ToString(), "--app-id", "/compat-check", "--timeout", "90");
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, result + "\n" + cluster.Diagnostics());
        Assert.Contains("ALL OK", result.Stdout);
    }

    [Fact(Timeout = 180_000)]
    public async Task Python_marathon_event_stream_reads_every_event_drover_sends()
    {
        var result = await PythonClient.RunAsync("marathon_events_check.py", TimeSpan.FromMinutes(2),
            cluster.BaseAddress.ToString(), "--app-id", "/events-check", "--timeout", "60");
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, result + "\n" + cluster.Diagnostics());
        Assert.Contains("ALL OK", result.Stdout);
    }

    [Fact]
    public async Task Server_stops_cleanly_on_SIGTERM()
    {
        using var dir = new TempDir("sigterm");
        await using var server = await DroverProcess.StartServerAsync(dir.Path);
        await server.KillAsync(UnixSignal.Term);
        var code = await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"exit code {code}\n{server.FormatOutput()}");
    }
}
