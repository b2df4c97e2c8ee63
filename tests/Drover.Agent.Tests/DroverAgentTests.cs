using System.Net;
using System.Net.Http.Json;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api;
using Drover.Api.Agents;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests;

/// <summary>The whole agent against an in-memory server speaking the /internal/agents protocol.</summary>
public sealed class DroverAgentTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly List<DroverAgent> _agents = [];
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        foreach (var a in _agents) await a.DisposeAsync();
        await _server.DisposeAsync();
        _http.Dispose();
        _dir.Dispose();
    }

    private AgentOptions Options(bool killTasksOnStop = false) => new()
    {
        ServerUrl = _server.BaseUri.ToString(),
        DataDir = _dir.Combine("agent"),
        Hostname = "test-host",
        Attributes = new Dictionary<string, string> { ["rack"] = "r1" },
        Cpus = 2,
        MemMb = 1024,
        Ports = "31000-31010,32000",
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        EnableCgroups = false,
        KillTasksOnStop = killTasksOnStop,
    };

    private async Task<DroverAgent> StartAgentAsync(AgentOptions options)
    {
        var agent = new DroverAgent(options);
        _agents.Add(agent);
        await agent.StartAsync();
        await Eventually.Within(agent.Registered, "registration");
        return agent;
    }

    private void TrackTasks(DroverAgent agent)
    {
        foreach (var r in agent.Tasks.All())
            if (r.Handle is { } h) _reaper.TrackPid(h.Pid);
    }

    private static TaskSpec LoopingTask(string marker) =>
        Specs.Cmd($"trap 'echo stopping; exit 0' TERM; echo {marker}; echo to-stderr >&2; while true; do sleep 0.05; done") with
        {
            Env = new Dictionary<string, string> { ["PORT0"] = "31001" },
            Ports = [31001],
        };

    [Fact(Timeout = 45_000)]
    public async Task Registers_runs_assigned_tasks_serves_logs_and_kills_unassigned_tasks()
    {
        var agent = await StartAgentAsync(Options());

        var registration = Assert.Single(_server.Registrations);
        Assert.Null(registration.AgentId);
        Assert.Equal("test-host", registration.Hostname);
        Assert.Equal(agent.Endpoint.ToString().TrimEnd('/'), registration.Endpoint);
        Assert.Equal(2, registration.Resources.Cpus);
        Assert.Equal([new PortRange(31000, 31010), new PortRange(32000, 32000)], registration.Resources.Ports);
        Assert.Equal("r1", registration.Attributes["rack"]);
        Assert.Equal(agent.AgentId, (await File.ReadAllTextAsync(_dir.Combine("agent", "agent-id"))).Trim());

        Assert.Equal("pong\n", await _http.GetStringAsync(new Uri(agent.Endpoint, "/ping")));

        var spec = LoopingTask("hello-from-task");
        _server.Assign(new TaskAssignment { Spec = spec });
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_RUNNING"), "TASK_RUNNING reported");
        TrackTasks(agent);
        await Eventually.True(() => _server.LastHeartbeat.Any(t => t.TaskId == spec.TaskId && t.State == "TASK_RUNNING"), "task in heartbeat");

        var logs = new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?stream=stdout");
        await Eventually.True(async () => (await _http.GetStringAsync(logs)).Contains("hello-from-task"), "stdout served");
        Assert.Equal("to-stderr\n", await _http.GetStringAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?stream=stderr")));
        Assert.Equal("stderr\n", await _http.GetStringAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?stream=stderr&offset=3")));

        var listed = await _http.GetFromJsonAsync(new Uri(agent.Endpoint, "/tasks"), ApiJsonContext.Default.ListTaskStatusReport);
        Assert.Contains(listed!, t => t.TaskId == spec.TaskId && t.State == "TASK_RUNNING");

        using var unknownTask = await _http.GetAsync(new Uri(agent.Endpoint, "/tasks/nope/logs"));
        Assert.Equal(HttpStatusCode.NotFound, unknownTask.StatusCode);
        Assert.Contains("\"message\"", await unknownTask.Content.ReadAsStringAsync());
        using var unknownStream = await _http.GetAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?stream=journal"));
        Assert.Equal(HttpStatusCode.NotFound, unknownStream.StatusCode);

        // A follower keeps reading until the task ends and its output is drained.
        var follow = _http.GetStringAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?stream=stdout&follow=true"));
        _server.Assign(); // the task is no longer wanted
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_KILLED"), "TASK_KILLED reported");
        Assert.Equal("hello-from-task\nstopping\n", await Eventually.Within(follow, "followed log ends with the task"));

        // The server stored the terminal state: the agent forgets the task but keeps its logs.
        await Eventually.True(() => agent.Tasks.Find(spec.TaskId) is null, "task forgotten after acknowledgement");
        Assert.False(File.Exists(_dir.Combine("agent", "tasks", spec.TaskId + ".json")));
        Assert.Contains("stopping", await _http.GetStringAsync(logs));
    }

    [Fact(Timeout = 45_000)]
    public async Task Numbers_its_heartbeats_and_status_reports_in_the_order_their_pictures_were_taken()
    {
        var agent = await StartAgentAsync(Options());
        await Eventually.True(() => _server.LastHeartbeatStamp.Seq is not null, "a numbered heartbeat");
        var run = _server.LastHeartbeatStamp.Run;
        Assert.False(string.IsNullOrEmpty(run));
        var spec = LoopingTask("numbered");
        _server.Assign(new TaskAssignment { Spec = spec });
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_RUNNING"), "TASK_RUNNING reported");
        TrackTasks(agent);
        var reports = _server.Reports.Where(r => r.TaskId == spec.TaskId).ToList();
        Assert.All(reports, r => Assert.Equal(run, r.Run));
        var seqs = reports.Select(r => r.Seq!.Value).ToList();
        Assert.Equal(seqs.Order(), seqs); // sent in the order numbered
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        var running = reports.Last(r => r.State == "TASK_RUNNING").Seq!.Value;
        // a heartbeat whose picture has the task running was numbered after the report that said so
        await Eventually.True(() => _server.LastHeartbeat.Any(t => t.TaskId == spec.TaskId && t.State == "TASK_RUNNING")
            && _server.LastHeartbeatStamp.Seq > running, "a later heartbeat numbered after the report");
        Assert.Equal(run, _server.LastHeartbeatStamp.Run);
        _server.Assign();
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_KILLED"), "TASK_KILLED reported");
    }

    [Fact(Timeout = 45_000)]
    public async Task Reports_exit_codes_and_registers_again_when_the_server_forgot_it()
    {
        var agent = await StartAgentAsync(Options());
        var id = agent.AgentId;

        var failing = Specs.Cmd("exit 4");
        _server.Assign(new TaskAssignment { Spec = failing });
        await Eventually.True(() => _server.HasState(failing.TaskId, "TASK_FAILED"), "TASK_FAILED reported");
        var report = _server.Reports.Last(r => r.TaskId == failing.TaskId);
        Assert.Equal("exited with code 4", report.Message);
        Assert.Equal(4, report.ExitCode);

        _server.ForgetAgents();
        await Eventually.True(() => _server.Registrations.Count == 2, "second registration");
        Assert.Equal(id, _server.Registrations[1].AgentId);
        Assert.Equal(id, agent.AgentId);
    }

    [Fact(Timeout = 45_000)]
    public async Task A_failed_task_reports_its_last_stderr_line_or_else_stdout_line()
    {
        await StartAgentAsync(Options());
        var python = Specs.Cmd("echo starting; echo \"python3: can't open file '/x/app.py': [Errno 2] No such file or directory\" >&2; echo >&2; exit 1");
        var quiet = Specs.Cmd("echo 'listening on :8080'; echo 'config missing: /etc/app.yml'; exit 2");
        var silent = Specs.Cmd("exit 3");
        _server.Assign(new TaskAssignment { Spec = python }, new TaskAssignment { Spec = quiet }, new TaskAssignment { Spec = silent });
        await Eventually.True(() => new[] { python, quiet, silent }.All(s => _server.HasState(s.TaskId, "TASK_FAILED")), "all three failed");

        string Message(TaskSpec s) => _server.Reports.Last(r => r.TaskId == s.TaskId).Message!;
        Assert.Equal("exited with code 1: python3: can't open file '/x/app.py': [Errno 2] No such file or directory", Message(python));
        Assert.Equal("exited with code 2: config missing: /etc/app.yml", Message(quiet));
        Assert.Equal("exited with code 3", Message(silent));
    }

    [Fact(Timeout = 45_000)]
    public async Task A_restarted_agent_keeps_its_id_and_readopts_running_tasks()
    {
        var first = await StartAgentAsync(Options());
        var spec = LoopingTask("still-here");
        _server.Assign(new TaskAssignment { Spec = spec });
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_RUNNING"), "TASK_RUNNING reported");
        TrackTasks(first);
        var pid = first.Tasks.Find(spec.TaskId)!.Handle!.Pid;

        await first.StopAsync(); // tasks keep running
        Assert.True(Drivers.Posix.ReadStat(pid) is { HasExited: false }, "task survives the agent");

        var second = await StartAgentAsync(Options(killTasksOnStop: true));
        Assert.Equal(first.AgentId, second.AgentId);
        var reregistration = _server.Registrations[^1];
        Assert.Equal(first.AgentId, reregistration.AgentId);
        Assert.Contains(reregistration.Tasks, t => t.TaskId == spec.TaskId && t.State == "TASK_RUNNING");
        var adopted = second.Tasks.Find(spec.TaskId)!;
        Assert.Equal(pid, adopted.Handle!.Pid);

        // drover up shutdown: stopping kills the tasks and reports them.
        await second.StopAsync();
        Assert.Equal(TaskState.Killed, adopted.State);
        Assert.True(_server.HasState(spec.TaskId, "TASK_KILLED"), "final state reported on shutdown");
    }

    [Fact(Timeout = 45_000)]
    public async Task Tasks_keep_running_while_the_server_is_down_and_updates_arrive_when_it_is_back()
    {
        var port = _server.BaseUri.Port;
        var agent = await StartAgentAsync(Options() with { MaxRetryDelay = TimeSpan.FromMilliseconds(300) });
        var looping = LoopingTask("running");
        var waiting = Specs.Cmd("while [ ! -f go ]; do sleep 0.02; done; exit 5");
        _server.Assign(new TaskAssignment { Spec = looping }, new TaskAssignment { Spec = waiting });
        await Eventually.True(() => _server.HasState(looping.TaskId, "TASK_RUNNING") && _server.HasState(waiting.TaskId, "TASK_RUNNING"), "both running");
        TrackTasks(agent);
        var pid = agent.Tasks.Find(looping.TaskId)!.Handle!.Pid;

        await _server.DisposeAsync(); // the server goes away
        await File.WriteAllTextAsync(Path.Combine(agent.Tasks.Find(waiting.TaskId)!.Sandbox!, "go"), "");
        await Eventually.True(() => agent.Tasks.Find(waiting.TaskId)!.IsTerminal, "task ended while the server is down");
        Assert.Equal(TaskState.Running, agent.Tasks.Find(looping.TaskId)!.State);

        // A fresh server (no state) on the same address: the agent registers again and delivers what it kept.
        _server = await FakeServer.StartAsync(port);
        _server.Assign(new TaskAssignment { Spec = looping });
        await Eventually.True(() => _server.HasState(waiting.TaskId, "TASK_FAILED"), "queued terminal update delivered");
        var registration = _server.Registrations[0];
        Assert.Equal(agent.AgentId, registration.AgentId);
        Assert.Contains(registration.Tasks, t => t.TaskId == looping.TaskId && t.State == "TASK_RUNNING");
        Assert.Equal("exited with code 5", _server.Reports.Last(r => r.TaskId == waiting.TaskId).Message);
        Assert.Equal(pid, agent.Tasks.Find(looping.TaskId)!.Handle!.Pid);
        Assert.Equal(TaskState.Running, agent.Tasks.Find(looping.TaskId)!.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task Starts_without_a_server_and_registers_once_one_appears()
    {
        var placeholder = await FakeServer.StartAsync();
        var port = placeholder.BaseUri.Port;
        await placeholder.DisposeAsync();
        var agent = new DroverAgent(Options() with { ServerUrl = $"http://127.0.0.1:{port}/", MaxRetryDelay = TimeSpan.FromMilliseconds(300) });
        _agents.Add(agent);

        await agent.StartAsync();
        Assert.False(agent.Registered.IsCompleted);
        Assert.Equal("pong\n", await _http.GetStringAsync(new Uri(agent.Endpoint, "/ping")));

        await using var server = await FakeServer.StartAsync(port);
        await Eventually.Within(agent.Registered, "registration once the server is up");
    }
}
