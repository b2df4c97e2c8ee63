using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>
/// Resource isolation and host ports through the real binary: a task that outgrows its memory is reported as
/// OOM killed, and a port of the agent's range that another program holds is never given to a task.
/// </summary>
public sealed class IsolationTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task A_task_allocating_past_its_memory_limit_fails_as_oom_killed()
    {
        if (!CgroupsV1Writable(output)) return;
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        // what Marathon's users watch: the status_update_event of the failure carries the same message
        var failedEvent = FirstOomEventAsync(c, stop.Token);
        try
        {
            await c.ApplyAsync("""
                {"id":"/it/oom","cmd":"exec python3 -c \"x = bytearray(200 * 1024 * 1024); print('allocated')\"",
                 "instances":1,"cpus":0.1,"mem":32,"backoffSeconds":60}
                """);
            var app = await Eventually.GetAsync(async () =>
            {
                var a = await c.Client.GetAppAsync("/it/oom");
                return a.LastTaskFailure is not null ? a : null;
            }, TimeSpan.FromSeconds(60), "the task failed", c.Diagnostics);

            Assert.Equal("TASK_FAILED", app.LastTaskFailure!.State);
            Assert.Equal("OOM killed: memory limit 32 MiB", app.LastTaskFailure.Message);
            var message = await failedEvent.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("OOM killed: memory limit 32 MiB", message);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_port_held_by_another_program_is_skipped_and_the_health_check_reaches_the_task_itself()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var other = new ImpostorHttp();
        try
        {
            var agent = (await c.Client.GetAgentsAsync()).Agents.Single().Agent;
            // The first port of the range is the first one placement hands out: take it before any app exists.
            var held = agent.Resources.Ports[0].Begin;
            other.Start(held);

            await c.ApplyAsync("""
                {"id":"/it/ports","cmd":"touch ok; exec python3 -m http.server $PORT0 --bind 127.0.0.1",
                 "instances":1,"cpus":0.1,"mem":64,"backoffSeconds":60,
                 "healthChecks":[{"protocol":"HTTP","path":"/ok","gracePeriodSeconds":30,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":3}]}
                """);
            var app = await c.WaitForRunningAsync("/it/ports", 1);

            var task = app.Tasks!.Single();
            Assert.NotEqual(held, task.Ports[0]);
            Assert.Equal(0, other.Requests); // every health check went to the task, none to the other program
            // Whichever came first, the heartbeat's scan or the launch's own check, the port is known as held now.
            var shown = await Eventually.GetAsync(async () =>
            {
                var a = (await c.Client.GetAgentsAsync()).Agents.Single().Agent;
                return a.HeldPorts.Contains(held) ? a : null;
            }, TimeSpan.FromSeconds(30), "the agent shows the held port", c.Diagnostics);
            Assert.DoesNotContain(task.Ports[0], shown.HeldPorts);
            if (app.LastTaskFailure is { } failure) Assert.Equal($"port {held} is held by another program", failure.Message);

            var agents = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "agents", "--server", c.BaseAddress.ToString());
            output.WriteLine(agents.ToString());
            Assert.Equal(0, agents.ExitCode);
            Assert.Contains($"(held: {held})", agents.Stdout);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private static async Task<string> FirstOomEventAsync(LocalCluster c, CancellationToken ct)
    {
        await foreach (var e in c.Client.StreamEventsAsync(["status_update_event"], ct))
        {
            if (e.Data.GetProperty("appId").GetString() == "/it/oom" && e.Data.GetProperty("taskStatus").GetString() == "TASK_FAILED")
                return e.Data.GetProperty("message").GetString() ?? "";
        }
        return "(the event stream ended)";
    }

    /// <summary>True when this host has writable cgroup v1 memory (root, as here); otherwise says why the test does nothing.</summary>
    internal static bool CgroupsV1Writable(ITestOutputHelper output)
    {
        if (Environment.UserName == "root" && File.Exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) return true;
        output.WriteLine("SKIPPED: needs root and cgroup v1 memory");
        return false;
    }

    /// <summary>Another program on a port of the agent's range: answers every HTTP request with 200, and counts them.</summary>
    private sealed class ImpostorHttp : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private TcpListener? _listener;
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public void Start(int port)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _ = AcceptAsync(_listener, _stop.Token);
        }

        private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync(ct);
                    Interlocked.Increment(ref _requests);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), ct);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener?.Stop();
            _stop.Dispose();
        }
    }
}
