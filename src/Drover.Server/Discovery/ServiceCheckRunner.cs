using System.Collections.Concurrent;
using Drover.Core.Discovery;
using Drover.Core.Retry;
using Drover.State;
using Microsoft.Extensions.Hosting;
using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>
/// Runs the checks of services registered through the agent API, in the server process (the server is their
/// agent): one loop per check, started and stopped as the "consul-checks" collection changes.
/// </summary>
/// <remarks>
/// Results are written only when the status changes, or when only the output changed and the last write of the
/// check is older than <see cref="DiscoveryOptions.OutputUpdateInterval"/> (Consul's check_update_interval), so a
/// steady check costs no writes. A TTL check's deadline is stored with each TTL update (ExternalCheck.TtlExpiresAt), so
/// the runner of a new leader expires it when the old one would have; one never updated gets a fresh TTL from when
/// the runner first sees it. "Critical since" is kept in memory: DeregisterCriticalServiceAfter starts counting again
/// after a restart or failover, so neither removes a service by itself.
/// </remarks>
public sealed class ServiceCheckRunner(IStateStore store, ExternalServices services, CheckProbes probes, TimeProvider time,
    DiscoveryOptions options, DiscoveryLog log, Metrics.ServerMetrics metrics) : BackgroundService
{
    private readonly ConcurrentDictionary<string, RunningCheck> _running = new(StringComparer.Ordinal);

    /// <summary>Checks with a running loop (for tests and diagnostics).</summary>
    public IReadOnlyCollection<string> RunningChecks => _running.Keys.ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        services.CheckTouched += Touched;
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), jitter: 0);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await foreach (var snapshot in store.WatchAsync(-1, stoppingToken).ConfigureAwait(false))
                    {
                        Reconcile(snapshot, stoppingToken);
                        backoff.Reset();
                    }
                    return; // the store closed
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    log.RunnerFailed(ex);
                    await backoff.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            services.CheckTouched -= Touched;
            foreach (var rc in _running.Values) rc.Stop();
            await Task.WhenAll(_running.Values.Select(r => r.Loop)).ConfigureAwait(false);
            _running.Clear();
        }
    }

    private void Reconcile(StateSnapshot snapshot, CancellationToken stoppingToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var check in snapshot.All(Schema.Checks))
        {
            if (check.Definition.Type == ExternalServices.MaintenanceType) continue;
            present.Add(check.CheckId);
            if (_running.TryGetValue(check.CheckId, out var rc) && rc.Generation == check.Generation) continue;
            rc?.Stop();
            var next = new RunningCheck(check.CheckId, check.Generation, check.Definition, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
            // a deadline a TTL update stored (maybe through the previous leader) holds; without one the TTL starts now
            if (check.Definition.Ttl is { } ttl)
                next.TtlDeadline = Core.Json.MarathonTime.TryParse(check.TtlExpiresAt, out var stored) ? stored : time.GetUtcNow() + ttl;
            _running[check.CheckId] = next;
            next.Loop = Task.Run(async () =>
            {
                try { await RunAsync(next).ConfigureAwait(false); }
                finally { next.Cancellation.Dispose(); }
            });
        }
        foreach (var (id, rc) in _running)
        {
            if (present.Contains(id)) continue;
            rc.Stop();
            _running.TryRemove(id, out _);
        }
    }

    /// <summary>A write set the check's status (TTL pass/warn/fail, re-registration): restart its TTL and look again.</summary>
    private void Touched(string checkId)
    {
        if (!_running.TryGetValue(checkId, out var rc)) return;
        if (rc.Definition.Ttl is { } ttl) rc.TtlDeadline = time.GetUtcNow() + ttl;
        rc.Wake();
    }

    private async Task RunAsync(RunningCheck rc)
    {
        var ct = rc.Cancellation.Token;
        var d = rc.Definition;
        var nextProbe = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            var wake = rc.WakeSignal; // before reading state: a later Wake() completes this one
            var now = time.GetUtcNow();
            try
            {
                var stored = store.Current.Get(Schema.Checks, rc.CheckId);
                if (stored is null || stored.Generation != rc.Generation) return;

                if (d.Type == "ttl")
                {
                    if (Core.Json.MarathonTime.TryParse(stored.TtlExpiresAt, out var storedDeadline)) rc.TtlDeadline = storedDeadline;
                    if (now >= rc.TtlDeadline && stored.Status != HealthStatus.Critical)
                        await Write(rc, stored, HealthStatus.Critical, "TTL expired", now, ct).ConfigureAwait(false);
                }
                else if (now >= nextProbe)
                {
                    var result = await probes.RunAsync(d, ct).ConfigureAwait(false);
                    now = time.GetUtcNow();
                    nextProbe = now + d.Interval;
                    stored = store.Current.Get(Schema.Checks, rc.CheckId);
                    if (stored is null || stored.Generation != rc.Generation) return;
                    metrics.CheckResult(result.Status);
                    var status = rc.Damp(result.Status, stored.Status, d);
                    if (status != stored.Status || (result.Output != stored.Output && now - rc.LastWrite >= options.OutputUpdateInterval))
                        await Write(rc, stored, status, result.Output, now, ct).ConfigureAwait(false);
                }

                stored = store.Current.Get(Schema.Checks, rc.CheckId);
                if (stored is null || stored.Generation != rc.Generation) return;
                if (d.DeregisterCriticalServiceAfter is { } limit && stored.ServiceId.Length > 0 && stored.Status == HealthStatus.Critical)
                {
                    rc.CriticalSince ??= now;
                    if (now - rc.CriticalSince >= limit)
                    {
                        await services.DeregisterAsync(stored.ServiceId, $"check {rc.CheckId} critical for more than {limit}", ct).ConfigureAwait(false);
                        return;
                    }
                }
                else rc.CriticalSince = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the store closed: the server is stopping
            }
            catch (Exception ex)
            {
                log.CheckFailedToRun(rc.CheckId, ex.Message);
                nextProbe = now + (d.Interval > TimeSpan.Zero ? d.Interval : TimeSpan.FromSeconds(1));
            }

            var wakeAt = DateTimeOffset.MaxValue;
            if (d.Type == "ttl") { if (rc.TtlDeadline > now) wakeAt = rc.TtlDeadline; }
            else wakeAt = nextProbe;
            if (rc.CriticalSince is { } since && d.DeregisterCriticalServiceAfter is { } after && since + after < wakeAt) wakeAt = since + after;
            try
            {
                var delay = wakeAt == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : wakeAt - now;
                if (delay != Timeout.InfiniteTimeSpan && delay < TimeSpan.Zero) delay = TimeSpan.Zero;
                await Task.WhenAny(Task.Delay(delay, time, ct), wake.Task).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task Write(RunningCheck rc, ExternalCheck stored, HealthStatus status, string output, DateTimeOffset now, CancellationToken ct)
    {
        if (await services.SetStatusAsync(rc.CheckId, stored.Generation, status, output, ct).ConfigureAwait(false)) rc.LastWrite = now;
    }

    private sealed class RunningCheck(string checkId, string generation, CheckDefinition definition, CancellationTokenSource cancellation)
    {
        private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _ttlDeadlineTicks;
        private int _successes;
        private int _failures;

        public string CheckId { get; } = checkId;
        public string Generation { get; } = generation;
        public CheckDefinition Definition { get; } = definition;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public Task Loop { get; set; } = Task.CompletedTask;
        public DateTimeOffset LastWrite { get; set; } = DateTimeOffset.MinValue;
        public DateTimeOffset? CriticalSince { get; set; }

        public DateTimeOffset TtlDeadline
        {
            get => new(Interlocked.Read(ref _ttlDeadlineTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _ttlDeadlineTicks, value.UtcTicks);
        }

        public TaskCompletionSource WakeSignal => Volatile.Read(ref _wake);

        public void Wake() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public void Stop()
        {
            try { Cancellation.Cancel(); }
            catch (ObjectDisposedException) { }
        }

        /// <summary>SuccessBeforePassing / FailuresBeforeCritical: keep the previous status until enough results in a row agree (warning counts as a success, as in Consul).</summary>
        public HealthStatus Damp(HealthStatus result, HealthStatus previous, CheckDefinition d)
        {
            if (result == HealthStatus.Critical)
            {
                _successes = 0;
                _failures++;
                return _failures >= d.FailuresBeforeCritical ? HealthStatus.Critical : previous;
            }
            _failures = 0;
            _successes++;
            return _successes >= d.SuccessBeforePassing ? result : previous;
        }
    }
}
