using Drover.Agent.Drivers;
using Drover.Agent.Health;
using Drover.Agent.Logs;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tasks;

/// <summary>What every task runner shares: clock, log, health probes (and their HTTP client) and where status changes go.</summary>
public sealed record TaskRunnerContext
{
    public required TimeProvider Time { get; init; }
    public required ILogger Log { get; init; }
    public required HealthProbeFactory Probes { get; init; }
    /// <summary>Receives every status change as it happens (called outside the runner's lock).</summary>
    public required Action<TaskStatusReport> OnStatus { get; init; }
    /// <summary>Address health and readiness checks use to reach tasks.</summary>
    public string HealthCheckHost { get; init; } = "127.0.0.1";
    /// <summary>Which of the given host ports something already holds (checked before each launch); null = no check.</summary>
    public Func<IReadOnlyList<int>, IReadOnlyList<int>>? FindHeldPorts { get; init; }
    /// <summary>Counts launches, failures and probe results; null where nothing is exposed (unit tests).</summary>
    public Metrics.AgentMetrics? Metrics { get; init; }
}

/// <summary>
/// The life of one task on this agent: STAGING (fetch) → RUNNING → FINISHED / FAILED / KILLED, with its
/// health and readiness checks, kill requests (from the server or from failing checks) and status reports.
/// </summary>
public sealed class TaskRunner : IAsyncDisposable
{
    private readonly ITaskDriver? _driver;
    private readonly TaskRunnerContext _ctx;
    private readonly CancellationTokenSource _detach = new();
    private readonly CancellationTokenSource _launch;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _terminal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HealthCheckRunner> _checks = [];
    private readonly List<ReadinessCheckRunner> _readiness = [];
    private Task _run = Task.CompletedTask;
    private ITaskHandle? _handle;
    private TaskState _state = TaskState.Staging;
    private string? _message;
    private int? _exitCode;
    private DateTimeOffset? _startedAt;
    private bool _killRequested;
    private string? _healthFailure;
    private IReadOnlyList<int>? _heldPorts;
    private DateTimeOffset? _endedAt;
    private bool _superseded;

    private TaskRunner(TaskSpec spec, ITaskDriver? driver, TaskRunnerContext ctx)
    {
        Spec = spec;
        _driver = driver;
        _ctx = ctx;
        _launch = CancellationTokenSource.CreateLinkedTokenSource(_detach.Token);
    }

    public string TaskId => Spec.TaskId;
    public TaskSpec Spec { get; }
    public TaskState State { get { lock (_gate) return _state; } }
    public bool IsTerminal => State.IsTerminal();
    /// <summary>Completes when the task reached a terminal state.</summary>
    public Task Terminal => _terminal.Task;
    public ITaskHandle? Handle { get { lock (_gate) return _handle; } }
    /// <summary>The driver that runs (or was to run) the task; null for a task that ended without one.</summary>
    public ITaskDriver? Driver => _driver;
    public string? Sandbox => Handle?.Sandbox ?? (_driver is null ? null : SafeSandbox(_driver, TaskId));
    public IReadOnlyList<HealthCheckRunner> HealthChecks { get { lock (_gate) return [.. _checks]; } }
    public IReadOnlyList<ReadinessCheckRunner> ReadinessChecks { get { lock (_gate) return [.. _readiness]; } }
    /// <summary>When the task reached its terminal state (by this agent's clock).</summary>
    public DateTimeOffset? EndedAt { get { lock (_gate) return _endedAt; } }

    /// <summary>
    /// Ended by itself (crashed, exited, failed its health checks or its launch) on a driver that can start it again:
    /// what an agent cut off from the server restarts. A task killed on request (TASK_KILLED) is not.
    /// </summary>
    public bool EndedByItself
    {
        get { lock (_gate) return _driver is not null && _state is TaskState.Failed or TaskState.Finished; }
    }

    /// <summary>A later incarnation of this task has been started locally (see <see cref="LocalTasks.RestartLocally"/>).</summary>
    public bool Superseded { get { lock (_gate) return _superseded; } }

    /// <summary>Marks the task as continued by a later incarnation; false if it already was.</summary>
    internal bool TrySupersede()
    {
        lock (_gate)
        {
            if (_superseded || !_state.IsTerminal()) return false;
            _superseded = true;
            return true;
        }
    }

    /// <summary>A new task: stages (fetches) and starts it through <paramref name="driver"/>.</summary>
    public static TaskRunner Launch(TaskSpec spec, ITaskDriver driver, TaskRunnerContext ctx)
    {
        var runner = new TaskRunner(spec, driver, ctx);
        ctx.Metrics?.Launching();
        runner.Report();
        runner._run = runner.LaunchAsync();
        return runner;
    }

    /// <summary>A task re-adopted from an earlier agent run (running, or already ended while the agent was down).</summary>
    public static TaskRunner Adopt(ITaskHandle handle, ITaskDriver driver, TaskRunnerContext ctx)
    {
        var runner = new TaskRunner(handle.Spec, driver, ctx);
        if (handle.Exited.IsCompleted)
        {
            runner._handle = handle;
            runner._startedAt = handle.StartedAt;
            runner.Finish(handle, handle.Exited.Result);
            return runner;
        }
        runner._run = runner.WatchAsync(handle);
        return runner;
    }

    /// <summary>A task that ends at once without running (no driver for it, or a kill for a task this agent does not have).</summary>
    public static TaskRunner Ended(TaskSpec spec, TaskState state, string message, TaskRunnerContext ctx)
    {
        var runner = new TaskRunner(spec, null, ctx);
        runner.SetTerminal(state, message, null);
        return runner;
    }

    private async Task LaunchAsync()
    {
        await Task.Yield();
        // A port someone else holds would make the task fail to bind and crash-loop, while its health check
        // reached the other program: fail at once, naming the port, so the server places it on other ports.
        if (_ctx.FindHeldPorts?.Invoke(Spec.Ports) is { Count: > 0 } held)
        {
            lock (_gate) _heldPorts = held;
            var reason = Ports.ListeningPorts.DescribeHeld(held);
            _ctx.Log.TaskLaunchFailed(TaskId, reason);
            _ctx.Metrics?.LaunchFailed();
            SetTerminal(TaskState.Failed, reason, null);
            return;
        }
        ITaskHandle handle;
        try
        {
            handle = await _driver!.StartAsync(Spec, _launch.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_detach.IsCancellationRequested)
        {
            return; // agent stopping while staging: the server will send it again
        }
        catch (OperationCanceledException)
        {
            SetTerminal(TaskState.Killed, "killed while staging", null);
            return;
        }
        catch (TaskLaunchException e)
        {
            _ctx.Log.TaskLaunchFailed(TaskId, e.Message);
            _ctx.Metrics?.LaunchFailed();
            SetTerminal(TaskState.Failed, e.Message, null);
            return;
        }
        catch (Exception e)
        {
            _ctx.Log.TaskLaunchFailed(TaskId, e.ToString());
            _ctx.Metrics?.LaunchFailed();
            SetTerminal(TaskState.Failed, $"launch failed: {e.Message}", null);
            return;
        }
        await WatchAsync(handle).ConfigureAwait(false);
    }

    private async Task WatchAsync(ITaskHandle handle)
    {
        bool killNow;
        lock (_gate)
        {
            _handle = handle;
            _startedAt = handle.StartedAt;
            _state = TaskState.Running;
            killNow = _killRequested;
        }
        _ctx.Log.TaskRunning(TaskId, handle.RuntimeId);
        Report();
        if (killNow) _ = KillHandleAsync(handle);
        StartHealthChecks(handle);
        StartReadinessChecks();

        TaskExit exit;
        try
        {
            exit = await handle.Exited.WaitAsync(_detach.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // detached: the task keeps running for the next agent instance
        }
        await StopHealthChecksAsync().ConfigureAwait(false);
        Finish(handle, exit);
    }

    private void Finish(ITaskHandle handle, TaskExit exit)
    {
        string? healthFailure;
        bool killed;
        lock (_gate)
        {
            healthFailure = _healthFailure;
            killed = _killRequested || handle.KillRequested;
        }
        var (state, message) =
            healthFailure is not null ? (TaskState.Failed, $"health check failed: {healthFailure}")
            : killed ? (TaskState.Killed, exit.Describe())
            : exit.Success ? (TaskState.Finished, exit.Describe())
            // The kernel's reason says it all; the task's own last words were cut off by SIGKILL.
            : exit.OomKilled ? (TaskState.Failed, exit.Describe())
            : (TaskState.Failed, WithLastLogLine(exit.Describe(), handle.Sandbox));
        SetTerminal(state, message, exit.ExitCode);
    }

    /// <summary>
    /// "exited with code 1: python3: can't open file '/x/app.py': [Errno 2] No such file or directory":
    /// the task's last words usually say why it failed, so operators see them in lastTaskFailure and events.
    /// </summary>
    private static string WithLastLogLine(string description, string sandbox) =>
        LastLogLine.FromSandbox(sandbox) is { } line ? $"{description}: {line}" : description;

    /// <summary>Kills the task (SIGTERM, SIGKILL after its grace period); it ends as TASK_KILLED.</summary>
    public void RequestKill()
    {
        ITaskHandle? handle;
        lock (_gate)
        {
            if (_state.IsTerminal() || _killRequested) return;
            _killRequested = true;
            handle = _handle;
        }
        _ctx.Log.TaskKillRequested(TaskId);
        if (handle is null) _launch.Cancel(); // still staging: abandon the launch
        else _ = KillHandleAsync(handle);
    }

    private void OnUnhealthy(string cause)
    {
        lock (_gate)
        {
            if (_killRequested || _state.IsTerminal()) return; // already going away for another reason
            _healthFailure = cause;
        }
        _ctx.Log.TaskUnhealthy(TaskId, cause);
        RequestKill();
    }

    private async Task KillHandleAsync(ITaskHandle handle)
    {
        try
        {
            await handle.KillAsync(TimeSpan.FromSeconds(Math.Max(0, Spec.KillGracePeriodSeconds)), _detach.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            _ctx.Log.TaskKillFailed(TaskId, e.Message);
        }
    }

    private void StartHealthChecks(ITaskHandle handle)
    {
        if (Spec.HealthChecks.Count == 0) return;
        var target = new HealthTarget
        {
            TaskId = TaskId,
            Host = _ctx.HealthCheckHost,
            Ports = Spec.Ports,
            Sandbox = handle.Sandbox,
            Env = Spec.Env,
        };
        lock (_gate)
        {
            foreach (var def in Spec.HealthChecks)
            {
                var check = new HealthCheckRunner(def, _ctx.Probes.Create(def, target), TaskId, handle.StartedAt, _ctx.Time,
                    _ => Report(), OnUnhealthy, () => !handle.Exited.IsCompleted, _ctx.Metrics is { } m ? m.Probed : null);
                _checks.Add(check);
                check.Start();
            }
        }
    }

    /// <summary>Readiness checks start with the task running; each stops by itself once ready.</summary>
    private void StartReadinessChecks()
    {
        if (Spec.ReadinessChecks.Count == 0) return;
        lock (_gate)
        {
            foreach (var def in Spec.ReadinessChecks)
            {
                var check = new ReadinessCheckRunner(def, _ctx.Probes.Http, TaskId, _ctx.HealthCheckHost, Spec.Ports, Spec.PortNames, _ctx.Time,
                    OnReadinessChanged);
                _readiness.Add(check);
                check.Start();
            }
        }
    }

    private void OnReadinessChanged(ReadinessCheckRunner check)
    {
        if (check.Result is { Ready: true }) _ctx.Log.TaskReady(TaskId, check.Definition.Name);
        else if (check.CannotRun) _ctx.Log.ReadinessCheckCannotRun(TaskId, check.Definition.Name, check.Cause ?? "");
        Report();
    }

    private async Task StopHealthChecksAsync()
    {
        HealthCheckRunner[] checks;
        ReadinessCheckRunner[] readiness;
        lock (_gate)
        {
            checks = [.. _checks];
            readiness = [.. _readiness];
        }
        foreach (var c in checks) await c.DisposeAsync().ConfigureAwait(false);
        foreach (var r in readiness) await r.DisposeAsync().ConfigureAwait(false);
    }

    private void SetTerminal(TaskState state, string? message, int? exitCode)
    {
        lock (_gate)
        {
            if (_state.IsTerminal()) return;
            _state = state;
            _message = message;
            _exitCode = exitCode;
            _endedAt = _ctx.Time.GetUtcNow();
        }
        // a task that never ran here (no driver, a kill of a task this agent lacks) is a confirmation, not an end
        if (_driver is not null) _ctx.Metrics?.Ended(state);
        _ctx.Log.TaskEnded(TaskId, state.ToWire(), message ?? "");
        Report();
        _terminal.TrySetResult();
    }

    private void Report()
    {
        try { _ctx.OnStatus(Status()); }
        catch (Exception e) { _ctx.Log.StatusCallbackFailed(TaskId, e.Message); }
    }

    /// <summary>The task's state as reported to the server.</summary>
    public TaskStatusReport Status()
    {
        lock (_gate)
        {
            // Once the task has ended (even before the runner has noticed), its last results describe a dead task.
            var ended = _state.IsTerminal() || _handle?.Exited.IsCompleted == true;
            return new TaskStatusReport
            {
                TaskId = TaskId,
                AppId = Spec.AppId,
                Version = Spec.Version,
                State = _state.ToWire(),
                Message = _message,
                ExitCode = _exitCode,
                StartedAt = _startedAt is { } s ? MarathonTime.ToWire(s) : null,
                Ports = Spec.Ports,
                HealthCheckResults = ended ? [] : [.. _checks.Select(c => c.Result).OfType<HealthCheckResult>()],
                ReadinessCheckResults = ended ? [] : [.. _readiness.Select(c => c.Result).OfType<ReadinessCheckResult>()],
                HeldPorts = _heldPorts,
            };
        }
    }

    private static string? SafeSandbox(ITaskDriver driver, string taskId) =>
        TaskIds.IsSafe(taskId) ? driver.GetSandboxPath(taskId) : null;

    /// <summary>Stops watching without killing: the task keeps running and a new agent re-adopts it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _detach.CancelAsync().ConfigureAwait(false);
        try { await _run.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await StopHealthChecksAsync().ConfigureAwait(false);
    }
}
