using System.Net;
using System.Net.Sockets;
using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Hosting;

namespace Drover.Agent.Tests;

/// <summary>A second agent on the same data directory, or on a taken listen port, fails with one typed error and leaves the directory free.</summary>
public sealed class AgentStartupConflictTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private AgentOptions Options(string listen = "127.0.0.1:0") => new()
    {
        ServerUrl = _server.BaseUri.ToString(),
        DataDir = _dir.Combine("agent"),
        Hostname = "test-host",
        Listen = listen,
        Cpus = 1,
        MemMb = 256,
        Ports = "31000-31010",
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        EnableCgroups = false,
    };

    /// <summary>The directory is unlocked: a new agent takes it, starts and registers.</summary>
    private async Task AssertDataDirUsableAsync()
    {
        await using var agent = new DroverAgent(Options());
        await agent.StartAsync();
        await Eventually.Within(agent.Registered, "registration");
    }

    [Fact(Timeout = 30000)]
    public async Task A_second_agent_on_the_same_data_dir_fails_naming_the_holder_until_the_first_stops()
    {
        await using var first = new DroverAgent(Options());
        await first.StartAsync();
        await Eventually.Within(first.Registered, "registration");

        var e = Assert.Throws<DataDirLockedException>(() => new DroverAgent(Options()));
        Assert.Equal(_dir.Combine("agent"), e.Directory);
        Assert.Equal(Environment.ProcessId, e.HolderPid);
        Assert.Equal($"data directory {_dir.Combine("agent")} is in use by another drover process (pid {Environment.ProcessId})", e.Message);
        using var http = new HttpClient();
        Assert.Equal("pong\n", await http.GetStringAsync(new Uri(first.Endpoint, "/ping"))); // the first one is untouched

        await first.StopAsync(); // stopping (not only disposing) frees the directory, for an agent restarted in the same process
        await AssertDataDirUsableAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task A_taken_listen_port_fails_start_with_the_address_and_frees_the_data_dir()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var agent = new DroverAgent(Options($"127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<ListenAddressInUseException>(() => agent.StartAsync());
        Assert.Equal($"127.0.0.1:{port}", e.Address);
        Assert.Equal(ListenAddressInUseException.Agent, e.Listener);
        Assert.Equal($"127.0.0.1:{port} (agent) is already in use by another program", e.Message);
        Assert.Empty(_server.Registrations); // it never joined

        await AssertDataDirUsableAsync(); // without disposing the failed agent first
        await agent.DisposeAsync(); // harmless after a failed start
    }
}
