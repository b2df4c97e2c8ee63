using Drover.Agent.Drivers;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tasks;

/// <summary>
/// Every task on this agent. Applies the server's desired set (start what is new, kill what is gone or
/// marked Kill) and forgets a task once the server has acknowledged its terminal state.
/// </summary>
public sealed class LocalTasks : IAsyncDisposable
{
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    private readonly IReadOnlyList<ITaskDriver> _drivers;
    private readonly TaskRunnerContext _ctx;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskRunner> _runners = new(StringComparer.Ordinal);
    // Ids of tasks already ended and acknowledged: a stale assignment list must never start them again.
    private readonly Dictionary<string, DateTimeOffset> _tombstones = new(StringComparer.Ordinal);

    public LocalTasks(IReadOnlyList<ITaskDriver> drivers, TaskRunnerContext ctx)
    {
        if (drivers.Count == 0) throw new ArgumentException("at least one driver is required", nameof(drivers));
        _drivers = drivers;
        _ctx = ctx;
    }

    public IReadOnlyList<ITaskDriver> Drivers => _drivers;

    /// <summary>Re-adopts what the drivers recorded before this agent instance started.</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var driver in _drivers)
        {
            foreach (var handle in await driver.RecoverAsync(ct).ConfigureAwait(false))
            {
                var runner = TaskRunner.Adopt(handle, driver, _ctx);
                lock (_gate) _runners[handle.TaskId] = runner;
            }
        }
    }

    public TaskRunner? Find(string taskId)
    {
        lock (_gate) return _runners.GetValueOrDefault(taskId);
    }

    public IReadOnlyList<TaskRunner> All()
    {
        lock (_gate) return [.. _runners.Values];
    }

    public IReadOnlyList<TaskStatusReport> Snapshot() => [.. All().Select(r => r.Status())];

    /// <summary>Makes this agent run exactly the non-killed tasks of <paramref name="assignments"/>.</summary>
    public void Apply(IReadOnlyList<TaskAssignment> assignments)
    {
        var toKill = new List<TaskRunner>();
        var desired = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            PruneTombstones();
            foreach (var a in assignments)
            {
                var id = a.Spec.TaskId;
                desired.Add(id);
                if (_runners.TryGetValue(id, out var existing))
                {
                    if (a.Kill) toKill.Add(existing);
                    continue;
                }
                if (_tombstones.ContainsKey(id)) continue;
                if (a.Kill)
                {
                    // The server wants a task gone that this agent does not have: confirm that it is gone.
                    _runners[id] = TaskRunner.Ended(a.Spec, TaskState.Killed, "task is not running on this agent", _ctx);
                    continue;
                }
                _runners[id] = StartRunner(a.Spec);
            }
            foreach (var (id, runner) in _runners)
            {
                if (!desired.Contains(id) && !runner.IsTerminal) toKill.Add(runner);
            }
        }
        foreach (var r in toKill) r.RequestKill();
    }

    private TaskRunner StartRunner(TaskSpec spec)
    {
        if (!TaskIds.IsSafe(spec.TaskId))
            return TaskRunner.Ended(spec, TaskState.Failed, $"task id '{spec.TaskId}' may only contain letters, digits and . _ - + @", _ctx);
        var driver = _drivers.FirstOrDefault(d => d.CanRun(spec));
        if (driver is null)
            return TaskRunner.Ended(spec, TaskState.Failed, $"no driver on this agent can run this task (drivers: {string.Join(", ", _drivers.Select(d => d.Name))})", _ctx);
        _ctx.Log.TaskStarting(spec.TaskId, spec.AppId, driver.Name);
        return TaskRunner.Launch(spec, driver, _ctx);
    }

    /// <summary>
    /// Starts the next incarnation of an ended task (same app version, ports and everything else; a new task id,
    /// <c>…._app.N+1</c>). For an agent cut off from the server: the server learns of it from the next report and
    /// adopts it in place of the ended one. Returns null when <paramref name="ended"/> is not restartable or already was.
    /// </summary>
    public TaskRunner? RestartLocally(TaskRunner ended)
    {
        if (!ended.EndedByItself) return null;
        var next = TaskIncarnation.Next(ended.TaskId);
        lock (_gate)
        {
            if (_runners.ContainsKey(next) || _tombstones.ContainsKey(next) || !_runners.ContainsKey(ended.TaskId)) return null;
            if (!ended.TrySupersede()) return null;
            var runner = StartRunner(NextIncarnation(ended.Spec, next));
            _runners[next] = runner;
            _ctx.Log.TaskRestartedLocally(ended.TaskId, next, ended.Spec.AppId);
            return runner;
        }
    }

    private static TaskSpec NextIncarnation(TaskSpec spec, string nextId)
    {
        var env = new Dictionary<string, string>(spec.Env, StringComparer.Ordinal);
        foreach (var key in (string[])["MESOS_TASK_ID", "DROVER_TASK_ID"])
        {
            if (env.ContainsKey(key)) env[key] = nextId;
        }
        return spec with { TaskId = nextId, Env = env };
    }

    /// <summary>The server has stored these reports: forget tasks whose terminal state was among them.</summary>
    public void Acknowledge(IEnumerable<TaskStatusReport> reports)
    {
        var now = _ctx.Time.GetUtcNow();
        foreach (var report in reports)
        {
            if (!TaskStates.TryParseWire(report.State, out var state) || !state.IsTerminal()) continue;
            TaskRunner? runner;
            lock (_gate)
            {
                if (!_runners.TryGetValue(report.TaskId, out runner) || !runner.IsTerminal) continue;
                _runners.Remove(report.TaskId);
                _tombstones[report.TaskId] = now;
            }
            foreach (var d in _drivers)
            {
                try { d.Forget(report.TaskId); }
                catch (IOException e) { _ctx.Log.ForgetFailed(report.TaskId, e.Message); }
            }
            _ctx.Log.TaskForgotten(report.TaskId);
        }
    }

    /// <summary>Kills every task and waits until all have ended (drover up shutdown).</summary>
    public async Task KillAllAsync(CancellationToken ct)
    {
        var runners = All();
        foreach (var r in runners) r.RequestKill();
        await Task.WhenAll(runners.Select(r => r.Terminal)).WaitAsync(ct).ConfigureAwait(false);
    }

    private void PruneTombstones()
    {
        var cutoff = _ctx.Time.GetUtcNow() - TombstoneLifetime;
        foreach (var (id, at) in _tombstones)
        {
            if (at < cutoff) _tombstones.Remove(id);
        }
    }

    /// <summary>Detaches from every task without killing it.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var r in All()) await r.DisposeAsync().ConfigureAwait(false);
    }
}
