using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Bench.C1m;

/// <summary>What the simulated agents have seen, counted across all of them.</summary>
internal sealed class SimulationCounters
{
    private long _received, _running, _killed, _heartbeats, _polls, _errors;
    public long Received => Interlocked.Read(ref _received);
    /// <summary>Tasks reported TASK_RUNNING and acknowledged by the server.</summary>
    public long Running => Interlocked.Read(ref _running);
    public long Killed => Interlocked.Read(ref _killed);
    public long Heartbeats => Interlocked.Read(ref _heartbeats);
    public long Polls => Interlocked.Read(ref _polls);
    public long Errors => Interlocked.Read(ref _errors);
    public string? LastError { get; private set; }

    public void AddReceived(int n) => Interlocked.Add(ref _received, n);
    public void AddRunning(int n) => Interlocked.Add(ref _running, n);
    public void AddKilled(int n) => Interlocked.Add(ref _killed, n);
    public void Heartbeat() => Interlocked.Increment(ref _heartbeats);
    public void Poll() => Interlocked.Increment(ref _polls);

    public void Error(Exception e)
    {
        Interlocked.Increment(ref _errors);
        LastError = e.Message;
    }
}

/// <summary>
/// Agents simulated in one process over the real agent protocol (through <see cref="DroverClient"/>): each registers,
/// long-polls its assignments, reports every task it is told to launch as TASK_RUNNING (nothing is started) and a
/// killed one as TASK_KILLED, and heartbeats its whole task list at the interval the server asks for, as
/// <c>drover agent</c> does.
/// </summary>
/// <remarks>
/// Every agent keeps its own long poll open (10,000 agents: 10,000 connections) and sends its own heartbeats (up to
/// another connection each, as a real host does: run.sh raises the open-files limit for it); status reports share a
/// bounded number of connections. Heartbeats once shared a pool of 64 too, and a heartbeat that waits for its
/// write then held back every other agent's: with 1,000 agents that let about 26 heartbeats a second through and the
/// server marked live agents unreachable, which measured the harness, not Drover.
/// </remarks>
internal sealed class SimulatedAgents(DroverClient client, int count, int shortCallConcurrency)
{
    private readonly SemaphoreSlim _reports = new(shortCallConcurrency, shortCallConcurrency);
    private readonly SemaphoreSlim _heartbeats = new(count, count);
    private readonly List<Agent> _agents = [];

    public SimulationCounters Counters { get; } = new();

    public int Count => _agents.Count;

    public TimeSpan HeartbeatInterval { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>The resources every simulated host offers: a mid-sized machine.</summary>
    public static AgentResources Resources => new() { Cpus = 32, MemMb = 128 * 1024, DiskMb = 1_000_000, Ports = [new PortRange(31000, 32000)] };

    public async Task RegisterAsync(CancellationToken ct)
    {
        var registered = new Agent?[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, c) =>
        {
            var answer = await client.RegisterAgentAsync(new AgentRegistration
            {
                Hostname = $"sim-{i:D5}",
                Endpoint = "http://127.0.0.1:1",
                Address = "127.0.0.1",
                Resources = Resources,
                Attributes = new Dictionary<string, string> { ["rack"] = $"r{i % 100}", ["zone"] = $"z{i % 3}" },
            }, c);
            registered[i] = new Agent(answer.AgentId);
            if (answer.HeartbeatIntervalMs > 0) HeartbeatInterval = TimeSpan.FromMilliseconds(answer.HeartbeatIntervalMs);
        });
        _agents.AddRange(registered.Select(a => a!));
    }

    /// <summary>Runs every agent's long poll and heartbeat until <paramref name="ct"/> fires.</summary>
    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(_agents.SelectMany(a => new[] { Task.Run(() => PollLoopAsync(a, ct), ct), Task.Run(() => HeartbeatLoopAsync(a, ct), ct) }));

    private async Task PollLoopAsync(Agent agent, CancellationToken ct)
    {
        string? fingerprint = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var a = await client.GetAssignmentsAsync(agent.Id, fingerprint, TimeSpan.FromSeconds(25), ct);
                Counters.Poll();
                if (a.Fingerprint == fingerprint) continue;
                fingerprint = a.Fingerprint;
                await ApplyAsync(agent, a, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Counters.Error(e);
                await Task.Delay(TimeSpan.FromMilliseconds(500 + Random.Shared.Next(500)), ct);
            }
        }
    }

    /// <summary>The agent's side of an assignment set: launch what is new (report it running), kill what is marked, forget what is gone.</summary>
    private async Task ApplyAsync(Agent agent, AgentAssignments a, CancellationToken ct)
    {
        var reports = new List<TaskStatusReport>();
        var launched = 0;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var now = MarathonTime.ToWire(DateTimeOffset.UtcNow);
        lock (agent)
        {
            var seq = ++agent.Seq;
            foreach (var t in a.Tasks)
            {
                listed.Add(t.Spec.TaskId);
                var known = agent.Tasks.ContainsKey(t.Spec.TaskId);
                if (t.Kill)
                {
                    if (!known) continue;
                    agent.Tasks.Remove(t.Spec.TaskId);
                    reports.Add(new TaskStatusReport { TaskId = t.Spec.TaskId, AppId = t.Spec.AppId, State = "TASK_KILLED", Version = t.Spec.Version, Run = agent.Run, Seq = seq });
                }
                else if (!known)
                {
                    var running = new TaskStatusReport
                    {
                        TaskId = t.Spec.TaskId, AppId = t.Spec.AppId, State = "TASK_RUNNING", Version = t.Spec.Version,
                        StartedAt = now, Ports = t.Spec.Ports, Run = agent.Run, Seq = seq,
                    };
                    agent.Tasks.Add(t.Spec.TaskId, running);
                    reports.Add(running);
                    launched++;
                }
            }
            // not assigned any more: a real agent kills it without telling
            foreach (var id in agent.Tasks.Keys.Where(id => !listed.Contains(id)).ToList()) agent.Tasks.Remove(id);
        }
        Counters.AddReceived(launched);
        if (reports.Count == 0) return;
        // as a real agent keeps a status update until the server has it (a failed call is sent again, not dropped:
        // else the count of tasks reported running never reaches the total, though heartbeats told the server)
        while (true)
        {
            try
            {
                await LimitedAsync(_reports, () => client.ReportStatusAsync(agent.Id, reports, ct), ct);
                break;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Counters.Error(e);
                await Task.Delay(TimeSpan.FromMilliseconds(500 + Random.Shared.Next(500)), ct);
            }
        }
        Counters.AddRunning(launched);
        Counters.AddKilled(reports.Count - launched);
    }

    private async Task HeartbeatLoopAsync(Agent agent, CancellationToken ct)
    {
        // spread the first beats over one interval, as agents started at different times are
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * HeartbeatInterval.TotalMilliseconds), ct);
        while (!ct.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            try
            {
                AgentHeartbeat heartbeat;
                lock (agent) heartbeat = new AgentHeartbeat { Tasks = [.. agent.Tasks.Values], Run = agent.Run, Seq = ++agent.Seq };
                var ack = await LimitedAsync(_heartbeats, () => client.HeartbeatAsync(agent.Id, heartbeat, ct), ct);
                Counters.Heartbeat();
                if (!ack.Known) throw new InvalidOperationException($"the server forgot agent {agent.Id}");
                if (ack.HeartbeatIntervalMs > 0) HeartbeatInterval = TimeSpan.FromMilliseconds(ack.HeartbeatIntervalMs); // grows with the cluster, as a real agent follows it
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Counters.Error(e);
            }
            var left = HeartbeatInterval - (DateTime.UtcNow - started);
            if (left > TimeSpan.Zero) await Task.Delay(left, ct);
        }
    }

    private static async Task<T> LimitedAsync<T>(SemaphoreSlim limit, Func<Task<T>> call, CancellationToken ct)
    {
        await limit.WaitAsync(ct);
        try
        {
            return await call();
        }
        finally
        {
            limit.Release();
        }
    }

    private sealed class Agent(string id)
    {
        public string Id { get; } = id;
        public Dictionary<string, TaskStatusReport> Tasks { get; } = new(StringComparer.Ordinal);

        /// <summary>As a real agent numbers its reports (AgentHeartbeat.Seq): taken under the agent's lock with the picture.</summary>
        public string Run { get; } = Guid.NewGuid().ToString("N");

        public long Seq { get; set; }
    }

}
