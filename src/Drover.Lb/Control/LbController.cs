using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Drover.Api.Client;
using Drover.Api.LoadBalancing;
using Drover.Lb.Haproxy;
using Drover.Lb.Host;
using Drover.Lb.Model;
using Drover.Lb.Planning;
using Microsoft.Extensions.Logging;

namespace Drover.Lb.Control;

/// <summary>
/// Keeps one HAProxy in line with the server's lb state: follows the blocking watch, coalesces bursts of changes
/// (<see cref="LbControllerOptions.Debounce"/>), applies server changes through the runtime API (no reload) and
/// frontend/backend changes by a checked reload, then heartbeats the index it applied so the server can release
/// drained kills. A periodic resync reads "show servers state" and repairs drift. While the server is unreachable
/// nothing changes: HAProxy keeps the last good state, never an empty backend. Each desired state also goes to the
/// <paramref name="sinks"/> (Nginx); with no <paramref name="supervisor"/> (<c>drover lb --nginx</c>) they are the only proxy.
/// </summary>
public sealed partial class LbController(DroverClient client, HaproxySupervisor? supervisor, RuntimeApi? runtime, LbControllerOptions options,
    TimeProvider time, ILogger logger, IReadOnlyList<ILbConfigSink>? sinks = null)
{
    private readonly Lock _gate = new();
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> _heartbeatNow = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private LbState? _latest;
    private LbConfig _applied = LbConfig.Empty;
    private bool _needsRepair, _adoptionChecked;
    private long _appliedIndex, _syncs, _runtimeChanges, _reloads, _failures;
    private DateTimeOffset? _lastSync, _lastErrorAt;
    private string? _lastError;
    private bool _serverReachable;
    private IReadOnlyList<string> _skipped = [];

    /// <summary>Starts HAProxy with no routes (the first snapshot brings them); throws when HAProxy cannot start.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (supervisor is not null) await supervisor.StartAsync(ConfigRenderer.Render(LbConfig.Empty, options.Settings), ct);
        // A sink that cannot run at all (Nginx refuses its first config) fails the start, as HAProxy does.
        else if (await ApplyToSinksAsync(LbConfig.Empty, ct) is { } error) throw new InvalidOperationException(error);
    }

    /// <summary>Follows the server until <paramref name="ct"/>; deregisters on the way out. Call <see cref="StartAsync"/> first.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var watch = Task.Run(() => WatchAsync(ct), ct);
        var heartbeat = Task.Run(() => HeartbeatAsync(ct), ct);
        try { await SyncLoopAsync(ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            await Task.WhenAll(watch, heartbeat).ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DeregisterLbAsync(options.Id, cts.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException) { LogDeregisterFailed(logger, e.Message); }
        }
    }

    public LbStatus Status()
    {
        lock (_gate)
        {
            return new LbStatus
            {
                Id = options.Id,
                Group = options.Group,
                SeenIndex = _latest?.Index ?? 0,
                AppliedIndex = _appliedIndex,
                LastSyncAt = Iso(_lastSync),
                LastError = _lastError,
                LastErrorAt = Iso(_lastErrorAt),
                ServerReachable = _serverReachable,
                Counters = new LbCounters(_syncs, _runtimeChanges, _reloads, _failures),
                Skipped = _skipped,
            };
        }
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var state in client.FollowLbStateAsync(options.WatchWait, time, e => { Error($"server: {e.Message}", countFailure: false); lock (_gate) _serverReachable = false; }, ct))
            {
                lock (_gate) { _latest = state; _serverReachable = true; }
                _changed.Writer.TryWrite(true);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A 4xx (wrong token): nothing will change by retrying; HAProxy keeps what it has.
            Error($"the server refuses the lb state watch: {e.Message}");
        }
    }

    private async Task SyncLoopAsync(CancellationToken ct)
    {
        var nextResync = time.GetUtcNow() + options.ResyncInterval;
        DateTimeOffset? retryAt = null;
        while (true)
        {
            var wakeAt = retryAt is { } r && r < nextResync ? r : nextResync;
            var changed = await WaitForChangeAsync(wakeAt - time.GetUtcNow(), ct);
            if (changed)
            {
                // Let the rest of a burst arrive, then take the newest snapshot only.
                await Task.Delay(options.Debounce, time, ct);
                _changed.Reader.TryRead(out _);
            }
            var resync = time.GetUtcNow() >= nextResync;
            if (resync) nextResync = time.GetUtcNow() + options.ResyncInterval;
            LbState? state;
            lock (_gate) state = _latest;
            if (state is null) continue;
            var ok = await SyncAsync(state, resync, ct);
            retryAt = ok ? null : time.GetUtcNow() + options.RetryInterval;
        }
    }

    private async Task<bool> WaitForChangeAsync(TimeSpan wait, CancellationToken ct)
    {
        if (wait <= TimeSpan.Zero) return _changed.Reader.TryRead(out _);
        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await _changed.Reader.ReadAsync(linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }

    /// <summary>One pass: desired state, plan against what HAProxy has, apply. True when everything took effect.</summary>
    private async Task<bool> SyncAsync(LbState state, bool resync, CancellationToken ct)
    {
        var resolved = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var result = DesiredState.Build(state, options.Group, _applied, host => Resolve(host, resolved));
        var desired = result.Config;
        lock (_gate) _skipped = [.. result.Skipped.Select(s => $"{s.AppId}: {string.Join("; ", s.Problems.Select(p => $"{p.Label}: {p.Message}"))}")];

        var sinkError = await ApplyToSinksAsync(desired, ct);
        if (sinkError is not null) Error(sinkError);
        if (supervisor is null || runtime is null) return Synced(state, desired, sinkError is null);

        if (supervisor.Adopted && !_adoptionChecked)
        {
            _adoptionChecked = true;
            // An adopted HAProxy runs its file's frontends and backends; when they are what we want, only its servers
            // (moved through the runtime API since that file was written) are compared, without a reload.
            if (ConfigRenderer.Render(desired, options.Settings) == supervisor.RunningConfig) { _applied = desired; _needsRepair = true; }
        }
        var current = _applied;
        if (resync || _needsRepair)
        {
            try { current = await ActualAsync(ct); _needsRepair = false; }
            catch (RuntimeApiException e) { Error($"reading HAProxy's servers: {e.Message}"); }
        }
        var plan = supervisor.RunningConfig is null ? new LbPlan(true, []) : Planner.Plan(current, desired);
        var ok = sinkError is null;
        if (plan.NeedsReload)
        {
            var text = ConfigRenderer.Render(desired, options.Settings);
            var unchanged = text == supervisor.RunningConfig; // e.g. a label change that renders the same
            var outcome = unchanged ? ReloadOutcome.Ok : await supervisor.ApplyAsync(text, ct);
            if (outcome.Succeeded)
            {
                _applied = desired;
                if (!unchanged)
                {
                    Interlocked.Increment(ref _reloads);
                    LogReloaded(logger, state.Index, desired.Backends.Count);
                }
            }
            else
            {
                Error($"reload ({outcome.Result}): {outcome.Error}");
                ok = false;
            }
        }
        else
        {
            var outOfRotation = true; // failures only in "del server" of servers already in maintenance
            foreach (var op in plan.Ops)
            {
                try
                {
                    await runtime.ApplyAsync(op, desired.Backend(op.Backend)!, options.Settings, ct);
                    Interlocked.Increment(ref _runtimeChanges);
                }
                catch (RuntimeApiException e)
                {
                    // "del server" fails while connections remain: the server is in maintenance already; try again later.
                    Error(e.Message);
                    ok = false;
                    _needsRepair = true;
                    if (op is not DelServer) outOfRotation = false;
                }
            }
            _applied = desired;
            if (!ok && !outOfRotation) { lock (_gate) _syncs++; return false; }
            await WaitForInFlightAsync(state, desired, InFlightDrain.NewlyDraining(plan), ct);
        }
        lock (_gate)
        {
            _syncs++;
            _lastSync = time.GetUtcNow();
            if (ok || !plan.NeedsReload) _appliedIndex = Math.Max(_appliedIndex, state.Index);
        }
        if (ok || !plan.NeedsReload) _heartbeatNow.Writer.TryWrite(true);
        return ok;
    }

    /// <summary>Only sinks (no HAProxy): the index counts as applied when every sink took the config.</summary>
    private bool Synced(LbState state, LbConfig desired, bool ok)
    {
        _applied = desired;
        lock (_gate)
        {
            _syncs++;
            _lastSync = time.GetUtcNow();
            if (ok) _appliedIndex = Math.Max(_appliedIndex, state.Index);
        }
        if (ok) _heartbeatNow.Writer.TryWrite(true);
        return ok;
    }

    private async Task<string?> ApplyToSinksAsync(LbConfig config, CancellationToken ct)
    {
        string? error = null;
        foreach (var sink in sinks ?? []) error = await sink.ApplyAsync(config, ct) ?? error;
        return error;
    }

    /// <summary>Before the index that drains these servers is reported (and the server kills their tasks): their requests finish.</summary>
    private async Task WaitForInFlightAsync(LbState state, LbConfig desired, IReadOnlyList<(string Backend, string Server)> draining, CancellationToken ct)
    {
        if (draining.Count == 0 || runtime is null) return;
        try
        {
            if (!await InFlightDrain.WaitUntilIdleAsync(runtime, draining, InFlightDrain.Limit(state, desired, draining), time, ct))
                LogDrainTimedOut(logger, string.Join(", ", draining.Select(d => $"{d.Backend}/{d.Server}")));
        }
        catch (Exception e) when (e is RuntimeApiException or FormatException) { Error($"reading sessions of draining servers: {e.Message}"); }
    }

    /// <summary>The applied config with each backend's servers as HAProxy reports them now.</summary>
    private async Task<LbConfig> ActualAsync(CancellationToken ct)
    {
        var rows = await runtime!.ShowServersStateAsync(ct);
        var byBackend = rows.ToLookup(r => r.Backend);
        return _applied with
        {
            Backends = [.. _applied.Backends.Select(b => b with
            {
                Servers = [.. byBackend[b.Name].Select(r => new LbServer(r.Name, r.Name, r.Address, r.Port,
                    // A draining server rendered into the config has weight 0 rather than the drain state.
                    r.Admin == ServerState.Ready && r.Weight == 0 ? ServerState.Drain : r.Admin))],
            })],
        };
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        var interval = options.HeartbeatInterval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                long index;
                lock (_gate) index = _appliedIndex;
                var answer = await client.HeartbeatLbAsync(options.Id, new LbHeartbeat { AppliedIndex = index, Group = options.Group }, ct);
                if (answer.HeartbeatIntervalSeconds > 0) interval = TimeSpan.FromSeconds(answer.HeartbeatIntervalSeconds);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is not OutOfMemoryException) { LogHeartbeatFailed(logger, e.Message); }
            using var timeout = new CancellationTokenSource(interval, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try { await _heartbeatNow.Reader.ReadAsync(linked.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (OperationCanceledException) { return; }
        }
    }

    private static string? Resolve(string host, Dictionary<string, string?> cache)
    {
        if (IPAddress.TryParse(host, out _)) return host;
        if (cache.TryGetValue(host, out var known)) return known;
        string? address = null;
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            address = (addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault())?.ToString();
        }
        catch (System.Net.Sockets.SocketException) { }
        return cache[host] = address;
    }

    private void Error(string message, bool countFailure = true)
    {
        lock (_gate)
        {
            _lastError = message;
            _lastErrorAt = time.GetUtcNow();
            if (countFailure) _failures++;
        }
        LogError(logger, message);
    }

    private static string? Iso(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [LoggerMessage(2020, LogLevel.Information, "Reloaded HAProxy for lb state {Index} ({Backends} backends)")]
    private static partial void LogReloaded(ILogger logger, long index, int backends);

    [LoggerMessage(2021, LogLevel.Warning, "{Message}")]
    private static partial void LogError(ILogger logger, string message);

    [LoggerMessage(2022, LogLevel.Warning, "Heartbeat to the server failed: {Error}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string error);

    [LoggerMessage(2023, LogLevel.Warning, "Could not deregister from the server: {Error}")]
    private static partial void LogDeregisterFailed(ILogger logger, string error);

    [LoggerMessage(2024, LogLevel.Warning, "Draining servers still had requests in flight at the drain timeout: {Servers}")]
    private static partial void LogDrainTimedOut(ILogger logger, string servers);
}
