using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Discovery;
using Drover.Core.Json;
using Drover.Health;

namespace Drover.Agent.Health;

/// <summary>
/// Runs one health check of one task on a <see cref="TimeProvider"/> schedule, Marathon style: failures
/// before the first success and within the grace period do not count; after
/// <c>maxConsecutiveFailures</c> counted failures in a row it asks for the task to be killed.
/// </summary>
public sealed class HealthCheckRunner : IAsyncDisposable
{
    private readonly HealthCheckDefinition _def;
    private readonly IHealthProbe _probe;
    private readonly string _taskId;
    private readonly DateTimeOffset _graceEnds;
    private readonly TimeProvider _time;
    private readonly Action<HealthCheckRunner> _onChanged;
    private readonly Action<string> _onUnhealthy;
    // every probe's outcome, for the agent's metrics (before grace-period and damping rules)
    private readonly Action<HealthStatus>? _onProbe;
    private readonly Func<bool> _taskAlive;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private HealthCheckResult? _result;
    private DateTimeOffset? _firstSuccess;
    private int _checksStarted;
    private int _checksCompleted;
    private bool _gaveUp;

    /// <param name="onChanged">Called when Alive or Status changes (and for the first result).</param>
    /// <param name="onUnhealthy">Called once with the failure cause when maxConsecutiveFailures is reached.</param>
    /// <param name="taskAlive">
    /// Whether the task still runs. A probe answered after the task ended reached someone else (another program
    /// on its port, say), so it is dropped: a check of a dead task is never passing.
    /// </param>
    public HealthCheckRunner(HealthCheckDefinition def, IHealthProbe probe, string taskId, DateTimeOffset taskStartedAt,
        TimeProvider time, Action<HealthCheckRunner> onChanged, Action<string> onUnhealthy, Func<bool>? taskAlive = null,
        Action<HealthStatus>? onProbe = null)
    {
        _onProbe = onProbe;
        _taskAlive = taskAlive ?? (static () => true);
        _def = def;
        _probe = probe;
        _taskId = taskId;
        _graceEnds = taskStartedAt + TimeSpan.FromSeconds(Math.Max(0, def.GracePeriodSeconds));
        _time = time;
        _onChanged = onChanged;
        _onUnhealthy = onUnhealthy;
    }

    public HealthCheckDefinition Definition => _def;
    /// <summary>Latest result; null until the first check has completed.</summary>
    public HealthCheckResult? Result { get { lock (_gate) return _result; } }
    public int ChecksStarted => Volatile.Read(ref _checksStarted);
    public int ChecksCompleted => Volatile.Read(ref _checksCompleted);

    public void Start() => _loop = RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            if (_def.DelaySeconds is > 0)
                await Task.Delay(TimeSpan.FromSeconds(_def.DelaySeconds.Value), _time, ct).ConfigureAwait(false);
            // The timer exists before the first check, so a tick that falls due while a check runs is not lost.
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _def.IntervalSeconds)), _time);
            do
            {
                await CheckOnceAsync(ct).ConfigureAwait(false);
                if (_gaveUp) return;
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task CheckOnceAsync(CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, _def.TimeoutSeconds)), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        Interlocked.Increment(ref _checksStarted);
        ProbeResult result;
        try
        {
            result = await _probe.ProbeAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            result = ProbeResult.Critical($"timed out after {Math.Max(1, _def.TimeoutSeconds)}s");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            result = ProbeResult.Critical(e.Message);
        }
        ct.ThrowIfCancellationRequested();
        _onProbe?.Invoke(result.Status);
        Record(result);
        Interlocked.Increment(ref _checksCompleted);
    }

    /// <summary>Folds one probe outcome into the result (public so the rules can be tested without probes).</summary>
    public void Record(ProbeResult probe)
    {
        // Not a failure either: the task is ending for its own reason, which is what it must be reported with.
        if (!_taskAlive()) return;
        var now = _time.GetUtcNow();
        bool changed, giveUp = false;
        string? cause = null;
        lock (_gate)
        {
            var previous = _result;
            var next = previous ?? new HealthCheckResult { TaskId = _taskId };
            if (probe.Status != HealthStatus.Critical)
            {
                _firstSuccess ??= now;
                next = next with
                {
                    Alive = true,
                    ConsecutiveFailures = 0,
                    FirstSuccess = MarathonTime.ToWire(_firstSuccess.Value),
                    LastSuccess = MarathonTime.ToWire(now),
                    Status = probe.Status == HealthStatus.Passing ? "passing" : "warning",
                    LastFailureCause = probe.Status == HealthStatus.Warning ? probe.Output : next.LastFailureCause,
                };
            }
            else if (_firstSuccess is null && now < _graceEnds)
            {
                // Marathon ignores failures before the first success within the grace period: the task
                // is still starting, so it is reported neither healthy nor unhealthy yet.
                return;
            }
            else
            {
                next = next with
                {
                    Alive = false,
                    ConsecutiveFailures = next.ConsecutiveFailures + 1,
                    LastFailure = MarathonTime.ToWire(now),
                    LastFailureCause = probe.Output,
                    Status = "critical",
                };
                if (_def.MaxConsecutiveFailures > 0 && next.ConsecutiveFailures >= _def.MaxConsecutiveFailures && !_gaveUp)
                {
                    _gaveUp = giveUp = true;
                    cause = probe.Output is { Length: > 0 } output ? output : "unknown failure";
                }
            }
            _result = next;
            changed = previous is null || previous.Alive != next.Alive || previous.Status != next.Status;
        }
        if (changed) _onChanged(this);
        if (giveUp) _onUnhealthy(cause!);
    }

    private int _disposed;

    /// <summary>Safe to call more than once (the task runner disposes on exit and again on shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
