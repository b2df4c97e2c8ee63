using System.Text.Json;
using Drover.Api.Client;
using Drover.Api.Marathon;

namespace Drover.IntegrationTests.Harness.Netns;

/// <summary>How to start a <see cref="NetnsCluster"/>.</summary>
public sealed record NetnsClusterOptions
{
    public int Agents { get; init; } = 3;
    /// <summary>Extra arguments of <c>drover server</c>, e.g. <c>--agent-timeout 3s</c>.</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];
    /// <summary>Extra arguments of every <c>drover agent</c>.</summary>
    public IReadOnlyList<string> AgentArgs { get; init; } = [];
    /// <summary>Each agent host gets a dockerd of its own (inside its namespace) and the agent its socket.</summary>
    public bool Docker { get; init; }
    /// <summary>The server's DNS on port 53 of its own address (where containers and other hosts reach it); else 127.0.0.1:0.</summary>
    public bool DnsOnServerAddress { get; init; }
}

/// <summary>One agent host of a <see cref="NetnsCluster"/>, with its own dockerd when the cluster has Docker.</summary>
public sealed record NetnsAgent(NetnsHost Host, string Hostname, string DataDir, DroverProcess Process, DockerDaemon? Docker = null);

/// <summary>A task as the agent recorded it on disk (DataDir/tasks/&lt;id&gt;.json): enough to kill it behind Drover's back.</summary>
public sealed record AgentTaskFile(string TaskId, string AppId, int Pid);

/// <summary>
/// A real <c>drover server</c> on host "server" (10.200.N.1:8080) and real <c>drover agent</c>s on hosts h1…hK
/// (10.200.N.2…, hostnames h1…hK, endpoint port 5051, task ports 31000-31099), all in network namespaces of one
/// <see cref="NetnsNetwork"/>, plus a host "ctl" from which the test talks to the server (<see cref="Client"/>,
/// <see cref="CliAsync"/>). Any agent host can be cut off and healed. Dispose removes everything, also when a
/// test failed half-way.
/// </summary>
public sealed class NetnsCluster : IAsyncDisposable
{
    public const int ServerPort = 8080;
    public const string AgentPorts = "31000-31099";

    private readonly TempDir _dir = new("netns");
    private readonly List<NetnsAgent> _agents = [];
    private readonly NetnsClusterOptions _options;
    private HttpClient? _http;

    private NetnsCluster(NetnsNetwork network, NetnsClusterOptions options)
    {
        Network = network;
        _options = options;
    }

    public NetnsNetwork Network { get; }
    public NetnsHost ServerHost { get; private set; } = null!;
    /// <summary>The operator's workstation: the test's API calls and CLI runs start here.</summary>
    public NetnsHost Ctl { get; private set; } = null!;
    public DroverProcess Server { get; private set; } = null!;
    public Uri ServerUrl => new($"http://{ServerHost.Address}:{ServerPort}");
    /// <summary>Talks to the server from the ctl host.</summary>
    public DroverClient Client { get; private set; } = null!;

    public IReadOnlyList<NetnsAgent> Agents
    {
        get
        {
            lock (_agents) return [.. _agents];
        }
    }

    public static async Task<NetnsCluster> StartAsync(NetnsClusterOptions? options = null)
    {
        options ??= new NetnsClusterOptions();
        var network = await NetnsNetwork.CreateAsync();
        var c = new NetnsCluster(network, options);
        try
        {
            c.ServerHost = await network.AddHostAsync("server");
            c.Ctl = await network.AddHostAsync("ctl");
            c._http = c.Ctl.CreateHttpClient(c.ServerUrl);
            c.Client = new DroverClient(c._http);
            await c.StartServerAsync();
            for (var i = 1; i <= options.Agents; i++) await c.AddAgentAsync($"h{i}");
            await c.WaitForAgentsAsync();
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    private async Task StartServerAsync()
    {
        Server = ServerHost.StartDrover(["server", "--listen", $"{ServerHost.Address}:{ServerPort}", "--data-dir", _dir.Combine("server"),
            "--dns-listen", _options.DnsOnServerAddress ? $"{ServerHost.Address}:53" : "127.0.0.1:0", "--token", DroverProcess.TestJoinToken,
            .. _options.ServerArgs], "server");
        await Eventually.AsyncAssert(async () =>
        {
            if (Server.HasExited) throw new EventuallyAbortedException($"the server exited\n{Server.FormatOutput()}");
            return await Client.PingAsync();
        }, TimeSpan.FromSeconds(60), $"the server answers /ping on {ServerUrl}", () => Server.FormatOutput());
    }

    /// <summary>Adds (and starts) an agent on a new host named <paramref name="hostname"/>.</summary>
    public async Task<NetnsAgent> AddAgentAsync(string hostname)
    {
        var host = await Network.AddHostAsync(hostname);
        var docker = _options.Docker ? await DockerDaemon.StartAsync(host) : null;
        var agent = new NetnsAgent(host, hostname, _dir.Combine("agent-" + hostname), null!, docker);
        try
        {
            agent = agent with { Process = StartAgentProcess(agent) };
        }
        catch
        {
            if (docker is not null) await docker.DisposeAsync();
            throw;
        }
        lock (_agents) _agents.Add(agent);
        return agent;
    }

    private DroverProcess StartAgentProcess(NetnsAgent a) =>
        a.Host.StartDrover(["agent", "--join", ServerUrl.ToString().TrimEnd('/'), "--data-dir", a.DataDir, "--hostname", a.Hostname,
            "--listen", $"{a.Host.Address}:5051", "--ports", AgentPorts, "--docker-socket", a.Docker?.Socket ?? "none", "--token", DroverProcess.TestJoinToken,
            .. _options.AgentArgs],
            "agent:" + a.Hostname);

    public NetnsAgent Agent(string hostname) => Agents.FirstOrDefault(a => a.Hostname == hostname)
        ?? throw new ArgumentException($"no agent host '{hostname}'", nameof(hostname));

    /// <summary>Waits until every agent is registered and active.</summary>
    public Task WaitForAgentsAsync(TimeSpan? timeout = null) => Eventually.AsyncAssert(async () =>
    {
        foreach (var a in Agents)
            if (a.Process.HasExited) throw new EventuallyAbortedException($"{a.Process} exited\n{Diagnostics()}");
        var agents = await Client.GetAgentsAsync();
        return Agents.All(a => agents.Agents.Any(x => x.Agent.Hostname == a.Hostname && x.Agent.Status == Core.Cluster.AgentStatus.Active));
    }, timeout ?? TimeSpan.FromSeconds(90), "all agents registered and active", Diagnostics);

    /// <summary>Cuts the agent's host off the network (the agent process and its tasks go on).</summary>
    public Task CutAsync(string hostname) => Agent(hostname).Host.CutAsync();

    public Task HealAsync(string hostname) => Agent(hostname).Host.HealAsync();

    /// <summary>SIGKILLs the agent (tasks keep running) and starts it again on the same data dir.</summary>
    public async Task RestartAgentAsync(string hostname)
    {
        NetnsAgent old;
        lock (_agents) old = _agents.Single(a => a.Hostname == hostname);
        await old.Process.KillAsync(UnixSignal.Kill);
        await old.Process.DisposeAsync();
        var fresh = old with { Process = StartAgentProcess(old) };
        lock (_agents) _agents[_agents.IndexOf(old)] = fresh;
    }

    /// <summary>Runs the drover CLI on the ctl host against this cluster's server.</summary>
    public Task<ProcessResult> CliAsync(params string[] args) => CliAsync(TimeSpan.FromSeconds(60), args);

    public Task<ProcessResult> CliAsync(TimeSpan timeout, params string[] args) =>
        Ctl.RunDroverAsync(timeout, [.. args, "--server", ServerUrl.ToString().TrimEnd('/')]);

    /// <summary>The tasks the agent has recorded on disk right now, with their PIDs.</summary>
    public IReadOnlyList<AgentTaskFile> TaskFiles(string hostname)
    {
        var dir = Path.Combine(Agent(hostname).DataDir, "tasks");
        if (!Directory.Exists(dir)) return [];
        var list = new List<AgentTaskFile>();
        foreach (var f in Directory.GetFiles(dir, "*.json"))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(f));
                var root = doc.RootElement;
                list.Add(new AgentTaskFile(root.GetProperty("taskId").GetString()!, root.GetProperty("spec").GetProperty("appId").GetString()!,
                    root.GetProperty("pid").GetInt32()));
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // being written or deleted right now: not a task to report
            }
        }
        return list;
    }

    /// <summary>The recorded tasks of an agent whose process is alive right now (not a zombie).</summary>
    public IReadOnlyList<AgentTaskFile> LiveTaskFiles(string hostname) => [.. TaskFiles(hostname).Where(f => IsAlive(f.Pid))];

    /// <summary>True while the process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public Task<AppInfo> ApplyAsync(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var id = doc.RootElement.GetProperty("id").GetString()!;
        return ApplyAsync(id, doc.RootElement.Clone());
    }

    private async Task<AppInfo> ApplyAsync(string id, JsonElement body)
    {
        await Client.PutAppAsync(id, body);
        return await Client.GetAppAsync(id);
    }

    public string Diagnostics() =>
        Server.FormatOutput(60) + "\n" + string.Join("\n", Agents.Select(a => (a.Host.IsCut ? "[cut off] " : "") + a.Process.FormatOutput(60)
            + (a.Docker is { } d ? "\n" + d.FormatOutput(20) : "")));

    public async ValueTask DisposeAsync()
    {
        foreach (var a in Agents) if (a.Process is not null) await a.Process.DisposeAsync();
        // dockerd stops its containers before the network goes
        foreach (var a in Agents) if (a.Docker is not null) await a.Docker.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
        // Tasks live in the agents' namespaces: removing the network ends every one of them by PID.
        await Network.DisposeAsync();
        Client?.Dispose();
        _http?.Dispose();
        _dir.Dispose();
    }
}
