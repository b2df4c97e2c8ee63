using System.Text.Json;
using Drover.Api.Client;
using Drover.Api.Marathon;

namespace Drover.IntegrationTests.Harness;

/// <summary>
/// A real `drover server` and N real `drover agent` processes on 127.0.0.1, each agent with its own
/// data dir, hostname and host-port range (distinct across clusters of this test run).
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static int _nextRange;
    private readonly TempDir _dir = new("cluster");
    private readonly List<(string Host, string Ports, DroverProcess Process)> _agents = [];
    private readonly int _serverPort = FreePort.Get();
    private string[] _serverArgs = [];

    public DroverProcess Server { get; private set; } = null!;
    public DroverClient Client { get; private set; } = null!;
    public Uri BaseAddress => new($"http://127.0.0.1:{_serverPort}");
    public IReadOnlyList<DroverProcess> Agents => _agents.Select(a => a.Process).ToList();

    private string? _dockerSocket;
    private string[] _agentArgs = [];

    /// <param name="apiToken">Started with --api-token this (and <paramref name="serverArgs"/>); <see cref="Client"/> sends it.</param>
    /// <param name="dockerSocket">
    /// The Docker daemon the agents use (a test's own <see cref="DockerDaemon"/>); null gives them none, so a
    /// Docker running on the host never changes what a test sees.
    /// </param>
    public static Task<LocalCluster> StartAsync(int agents, string? apiToken = null, string? dockerSocket = null, params string[] serverArgs) =>
        StartCoreAsync(agents, apiToken, dockerSocket, [], serverArgs);

    /// <summary>A server and agents started with these extra agent options (e.g. --log-ship).</summary>
    public static Task<LocalCluster> StartWithAgentArgsAsync(int agents, params string[] agentArgs) =>
        StartCoreAsync(agents, null, null, agentArgs, []);

    /// <summary>A server and agents using this Docker daemon, started with these extra agent options.</summary>
    public static Task<LocalCluster> StartWithDockerAsync(int agents, string dockerSocket, params string[] agentArgs) =>
        StartCoreAsync(agents, null, dockerSocket, agentArgs, []);

    private static async Task<LocalCluster> StartCoreAsync(int agents, string? apiToken, string? dockerSocket, string[] agentArgs, string[] serverArgs)
    {
        var c = new LocalCluster
        {
            _dockerSocket = dockerSocket,
            _agentArgs = agentArgs,
            _serverArgs = apiToken is null ? serverArgs : ["--api-token", apiToken, .. serverArgs],
        };
        try
        {
            c.Server = await DroverProcess.StartServerAsync(c._dir.Combine("server"), c._serverPort, null, c._serverArgs);
            c.Client = new DroverClient(c.BaseAddress, apiToken);
            for (var i = 0; i < agents; i++)
            {
                var host = $"host-{i + 1}";
                c._agents.Add((host, NextPortRange(), null!));
                c._agents[i] = c._agents[i] with { Process = c.StartAgent(i) };
            }
            await c.WaitForAgentsAsync();
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// 100-port ranges in 20000–30999: below the default 31000–32000 (a real drover up on the machine) and below
    /// the kernel's ephemeral range (32768–60999), where every outgoing connection and every free-port probe of
    /// the parallel tests lands. A task port inside that range can be taken by a client socket at any moment
    /// (Mesos keeps its default ports below it for the same reason). 110 ranges, taken in turn from a start that differs per test process.
    /// </summary>
    public static string NextPortRange()
    {
        var n = Interlocked.Increment(ref _nextRange);
        var begin = 20000 + (Environment.ProcessId % 11 * 10 + n) % 110 * 100;
        return $"{begin}-{begin + 99}";
    }

    public string AgentDataDir(int index) => _dir.Combine("agent-" + index);

    /// <summary>The DNS port the server bound.</summary>
    public Task<int> DnsPortAsync() => Server.DnsPortAsync();

    private DroverProcess StartAgent(int index) =>
        DroverProcess.StartAgent(BaseAddress, AgentDataDir(index), _agents[index].Host, _agents[index].Ports, ["--docker-socket", _dockerSocket ?? "none", .. _agentArgs]);

    public async Task WaitForAgentsAsync()
    {
        await Eventually.AsyncAssert(async () =>
        {
            foreach (var a in _agents)
                if (a.Process.HasExited) throw new EventuallyAbortedException($"{a.Process} exited\n{Diagnostics()}");
            var agents = await Client.GetAgentsAsync();
            return _agents.All(a => agents.Agents.Any(x => x.Agent.Hostname == a.Host && x.Agent.Status == Core.Cluster.AgentStatus.Active));
        }, TimeSpan.FromSeconds(60), "all agents registered and active", Diagnostics);
    }

    /// <summary>SIGKILL the server and start it again on the same port and data dir.</summary>
    public async Task RestartServerAsync()
    {
        await Server.KillAsync(UnixSignal.Kill);
        await Server.DisposeAsync();
        Server = await DroverProcess.StartServerAsync(_dir.Combine("server"), _serverPort, null, _serverArgs);
    }

    /// <summary>SIGKILL an agent (its tasks keep running) and start it again with the same data dir.</summary>
    public async Task RestartAgentAsync(int index)
    {
        await KillAgentAsync(index);
        await StartAgentAgainAsync(index);
    }

    /// <summary>SIGKILL an agent; its tasks keep running. <see cref="StartAgentAgainAsync"/> brings it back.</summary>
    public async Task KillAgentAsync(int index)
    {
        var old = _agents[index].Process;
        await old.KillAsync(UnixSignal.Kill);
        await old.DisposeAsync();
    }

    /// <summary>Starts a killed agent again with the same data dir and waits until it is registered.</summary>
    public async Task StartAgentAgainAsync(int index)
    {
        _agents[index] = _agents[index] with { Process = StartAgent(index) };
        await WaitForAgentsAsync();
    }

    public async Task<AppInfo> ApplyAsync(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var id = doc.RootElement.GetProperty("id").GetString()!;
        await Client.PutAppAsync(id, doc.RootElement.Clone());
        return await Client.GetAppAsync(id);
    }

    /// <summary>Waits until the app has exactly <paramref name="count"/> running tasks (all healthy if it has checks).</summary>
    public Task<AppInfo> WaitForRunningAsync(string appId, int count, TimeSpan? timeout = null) =>
        Eventually.GetAsync<AppInfo>(async () =>
        {
            var app = await Client.GetAppAsync(appId);
            var healthyOk = app.HealthChecks.Count == 0 || app.TasksHealthy == count;
            // and its deployment is over, so the next change is not refused as locked (409)
            return app.TasksRunning == count && app.Tasks!.Count == count && healthyOk && app.Deployments.Count == 0 ? app : null;
        }, timeout ?? TimeSpan.FromSeconds(60), $"{appId} has {count} running tasks", Diagnostics);

    public string Sandbox(string taskId)
    {
        for (var i = 0; i < _agents.Count; i++)
        {
            foreach (var p in new[] { Path.Combine(AgentDataDir(i), "sandboxes", taskId), Path.Combine(AgentDataDir(i), "docker", "sandboxes", taskId) })
                if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException($"no sandbox for {taskId}");
    }

    public string Diagnostics() =>
        Server.FormatOutput(80) + "\n" + string.Join("\n", _agents.Select(a => a.Process?.FormatOutput(80) ?? ""));

    public async ValueTask DisposeAsync()
    {
        // kill the tasks first (through the API), so no test leaves processes behind
        try
        {
            if (Client is not null && Server is { HasExited: false })
            {
                foreach (var app in await Client.ListAppsAsync()) await Client.DeleteAppAsync(app.Id);
                await Eventually.AsyncAssert(async () => (await Client.ListTasksAsync()).Count == 0, TimeSpan.FromSeconds(30), "tasks gone");
            }
        }
        catch (Exception)
        {
            // best effort; the sweep below still ends stray tasks by their recorded PIDs
        }
        foreach (var a in _agents) if (a.Process is not null) await a.Process.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
        KillStrayTasks();
        Client?.Dispose();
        _dir.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int killpg(int pgrp, int sig);

    /// <summary>Ends task processes still alive after the agents are gone, by the PIDs the agents recorded.</summary>
    private void KillStrayTasks()
    {
        for (var i = 0; i < _agents.Count; i++) KillStrayTasks(AgentDataDir(i));
    }

    /// <summary>Ends task processes of one agent's data dir still alive after the agent is gone, by their recorded PIDs.</summary>
    public static void KillStrayTasks(string agentDataDir)
    {
        var dir = Path.Combine(agentDataDir, "tasks");
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.GetFiles(dir, "*.json"))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(f));
                if (doc.RootElement.TryGetProperty("pid", out var pid) && pid.TryGetInt32(out var p) && p > 1)
                    killpg(p, (int)UnixSignal.Kill);
            }
            catch (Exception)
            {
                // unreadable record: nothing to kill
            }
        }
    }
}
