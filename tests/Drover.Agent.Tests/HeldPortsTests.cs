using System.Net;
using System.Net.Sockets;
using Drover.Agent.Drivers;
using Drover.Agent.Health;
using Drover.Core.Discovery;
using Drover.Health;
using Drover.Agent.Ports;
using Drover.Agent.Tasks;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests;

public sealed class HeldPortsTests : IAsyncLifetime
{
    private const string Tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:7A69 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 861847 1 0000000075991db6 100 0 0 10 0
           1: 0100007F:7A6A 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1603 1 000000009908ad68 100 0 0 10 0
           2: 0100007F:7A6C 0100007F:9C41 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
           3: garbage
        """;
    private const string Udp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
         1021: 00000000000000000000000000000000:7A6B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2004 2 0000000000000000 0
        """;

    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private readonly HealthProbeFactory _probes = new();
    private readonly List<TaskStatusReport> _reports = [];
    private ProcessDriver _driver = null!;

    public Task InitializeAsync()
    {
        _driver = new ProcessDriver(new ProcessDriverOptions { DataDir = _dir.Path, EnableCgroups = false });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        await _driver.DisposeAsync();
        _probes.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Tcp_listeners_connections_and_bound_udp_sockets_count_time_wait_does_not()
    {
        var ports = new HashSet<int>();
        ListeningPorts.Parse(Tcp, tcp: true, ports);
        ListeningPorts.Parse(Udp6, tcp: false, ports);

        // 0x7A69 listening, 0x7A6A a connection's local port, 0x7A6B bound UDP; 0x7A6C only in TIME_WAIT
        Assert.Equal([31337, 31338, 31339], ports.Order());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_client_connections_local_port_is_held_because_a_bind_on_it_fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        Assert.Contains(clientPort, ListeningPorts.Read());
        using var task = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        task.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        Assert.Throws<SocketException>(() => task.Bind(new IPEndPoint(IPAddress.Loopback, clientPort))); // why it counts
    }

    [Fact(Timeout = 10_000)]
    public async Task A_real_listener_and_a_real_udp_socket_are_seen()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var tcpPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var udpPort = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;

        var held = ListeningPorts.Read();

        Assert.Contains(tcpPort, held);
        Assert.Contains(udpPort, held);
        listener.Stop();
        await Eventually.True(() => !ListeningPorts.Read().Contains(tcpPort), "a closed listener is no longer held");
    }

    [Fact]
    public void A_scan_keeps_ports_of_the_ranges_and_leaves_out_the_agents_own_tasks()
    {
        var held = new HeldPorts([new PortRange(31000, 31010)], () => [31005], () => [80, 31001, 31005, 31010, 31011]);

        Assert.Equal([31001, 31010], held.Scan());
        Assert.Equal([31005], held.Among([31004, 31005])); // before a launch any holder counts
    }

    [Theory]
    [InlineData(new[] { 31005 }, "port 31005 is held by another program")]
    [InlineData(new[] { 31005, 31006 }, "ports 31005, 31006 are held by other programs")]
    public void The_reason_names_the_ports(int[] ports, string expected) => Assert.Equal(expected, ListeningPorts.DescribeHeld(ports));

    [Fact(Timeout = 20_000)]
    public async Task A_launch_whose_port_is_held_fails_at_once_naming_the_port_and_the_task_never_runs()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var marker = _dir.Combine("ran");
        var heldPorts = new HeldPorts([new PortRange(1, 65535)], () => []);
        var spec = Specs.Cmd($"touch {marker}") with { Ports = [port] };

        var runner = TaskRunner.Launch(spec, _driver, Context(heldPorts.Among));
        await Eventually.Within(runner.Terminal, "terminal state");

        var last = Last(runner.TaskId);
        Assert.Equal("TASK_FAILED", last.State);
        Assert.Equal($"port {port} is held by another program", last.Message);
        Assert.Equal([port], last.HeldPorts);
        Assert.Null(runner.Handle);
        Assert.False(File.Exists(marker), "the command never ran");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_health_check_that_reaches_another_program_after_the_task_died_never_passes()
    {
        // Another program answers on the task's port; the task itself exits at once.
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        var check = new HealthCheckDefinition { Protocol = "TCP", PortIndex = 0, GracePeriodSeconds = 0, IntervalSeconds = 1, DelaySeconds = 0 };
        var spec = Specs.Cmd("sleep 0.3; exit 3") with { Ports = [port], HealthChecks = [check] };

        var runner = TaskRunner.Launch(spec, _driver, Context(findHeld: null));
        await Eventually.True(() => runner.Handle is not null, "task started");
        _reaper.Track(runner.Handle!);
        await Eventually.Within(runner.Terminal, "terminal state");

        // Whatever was seen while it ran, nothing passing is reported once the process is gone ...
        Assert.StartsWith("exited with code 3", Last(runner.TaskId).Message);
        Assert.Empty(Last(runner.TaskId).HealthCheckResults);
        // ... and a probe answered afterwards is dropped, not recorded as passing.
        var late = runner.HealthChecks.Single();
        var before = late.Result;
        late.Record(ProbeResult.Passing);
        Assert.Equal(before, late.Result);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_dead_tasks_check_results_are_not_reported_even_before_the_runner_noticed()
    {
        var alive = true;
        var changes = 0;
        var clock = new ManualTimeProvider();
        var def = new HealthCheckDefinition { Protocol = "TCP", GracePeriodSeconds = 0 };
        await using var runner = new HealthCheckRunner(def, new AlwaysPassing(), "t", clock.GetUtcNow(), clock, _ => changes++, _ => { }, () => alive);

        runner.Record(ProbeResult.Passing);
        Assert.Equal("passing", runner.Result?.Status);
        alive = false;
        runner.Record(ProbeResult.Critical("connection refused"));
        runner.Record(ProbeResult.Passing);

        Assert.Equal(1, changes);
        Assert.Equal(0, runner.Result!.ConsecutiveFailures); // the dead task's failures do not count as health failures either
    }

    private sealed class AlwaysPassing : IHealthProbe
    {
        public Task<ProbeResult> ProbeAsync(CancellationToken ct) => Task.FromResult(ProbeResult.Passing);
    }

    private TaskRunnerContext Context(Func<IReadOnlyList<int>, IReadOnlyList<int>>? findHeld) => new()
    {
        Time = TimeProvider.System,
        Log = NullLogger.Instance,
        Probes = _probes,
        OnStatus = r => { lock (_reports) _reports.Add(r); },
        FindHeldPorts = findHeld,
    };

    private TaskStatusReport Last(string taskId)
    {
        lock (_reports) return _reports.Last(r => r.TaskId == taskId);
    }
}
