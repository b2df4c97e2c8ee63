using Microsoft.Extensions.Logging;

namespace Drover.Lb.Host;

/// <summary>
/// Runs HAProxy in master-worker mode and changes its config safely: every new config is checked with "haproxy -c"
/// before it replaces the old file (a bad one is reported and the old one kept), and goes into effect through the
/// master CLI's "reload", which hands the listening sockets to the new worker (hitless). A reload that shows no result
/// within <see cref="ReloadTimeout"/> is reported and given up on, so it never blocks later updates. One update at a time.
/// </summary>
public sealed partial class HaproxySupervisor(IHaproxyHost host, string configPath, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long the master may take to come up with a worker.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    public string ConfigPath { get; } = configPath;

    /// <summary>The config text HAProxy is known to run; null before the start and after a reload that timed out.</summary>
    public string? RunningConfig { get; private set; }

    /// <summary>What the start decided about an HAProxy an earlier lb left running (null: this host never adopts).</summary>
    public AdoptDecision? Adoption { get; private set; }

    /// <summary>True when HAProxy was re-adopted rather than started: its config file and servers may lag the cluster.</summary>
    public bool Adopted => Adoption is { Adopt: true };

    /// <summary>
    /// Checks and writes the first config, starts HAProxy and waits until it has a worker. Throws when it cannot. An
    /// HAProxy an earlier lb left running is re-adopted instead, with the config it runs (its file) untouched: the
    /// controller's first sync reloads or moves servers as the cluster needs.
    /// </summary>
    public async Task StartAsync(string config, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            Adoption = host.TryAdopt(ConfigPath);
            if (Adopted && await TryShowProcAsync(ct) is { Workers: > 0 })
            {
                RunningConfig = File.Exists(ConfigPath) ? await File.ReadAllTextAsync(ConfigPath, ct) : null;
                return;
            }
            if (Adopted)
            {
                // Alive but its master CLI does not answer: not a state to drive. Stop it (by PID) and start afresh.
                await host.DisposeAsync();
                Adoption = new AdoptDecision(null, $"the left-over HAProxy did not answer on its master socket ({Adoption!.Reason}); stopped it");
            }
            if (await WriteCheckedAsync(config, ct) is { } error) throw new InvalidOperationException($"haproxy refuses the initial config: {error}");
            await host.StartAsync(ConfigPath, ct);
            using var deadline = new CancellationTokenSource(StartTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            try
            {
                while (await TryShowProcAsync(linked.Token) is not { Workers: > 0 })
                {
                    if (host.ExitReason is { } why) throw new InvalidOperationException($"haproxy exited at start: {why}");
                    await Task.Delay(PollInterval, time, linked.Token);
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new TimeoutException($"haproxy's master CLI showed no worker within {StartTimeout.TotalSeconds:0.#}s" + (host.ExitReason is { } r ? $": {r}" : ""));
            }
            RunningConfig = config;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Puts <paramref name="config"/> into effect: check, replace the file, reload, wait for the master to confirm.</summary>
    public async Task<ReloadOutcome> ApplyAsync(string config, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            using var deadline = new CancellationTokenSource(ReloadTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            try
            {
                var previous = File.Exists(ConfigPath) ? await File.ReadAllTextAsync(ConfigPath, linked.Token) : null;
                if (await WriteCheckedAsync(config, linked.Token) is { } error)
                {
                    LogInvalid(logger, error);
                    return new ReloadOutcome(ReloadResult.Invalid, error);
                }
                var outcome = await ReloadAsync(linked.Token);
                if (outcome.Result == ReloadResult.Failed && previous is not null)
                    await File.WriteAllTextAsync(ConfigPath, previous, CancellationToken.None); // what HAProxy still runs
                if (outcome.Succeeded) RunningConfig = config;
                else LogReloadFailed(logger, outcome.Error ?? "");
                return outcome;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                RunningConfig = null; // unknown: the next update reloads whatever it wants
                var error = $"haproxy did not confirm the reload within {ReloadTimeout.TotalSeconds:0.#}s" + (host.ExitReason is { } r ? $" ({r})" : "");
                LogReloadFailed(logger, error);
                return new ReloadOutcome(ReloadResult.TimedOut, error);
            }
        }
        finally { _gate.Release(); }
    }

    private async Task<ReloadOutcome> ReloadAsync(CancellationToken ct)
    {
        var before = await TryShowProcAsync(ct);
        while (before is null)
        {
            if (host.ExitReason is { } why) return new ReloadOutcome(ReloadResult.Failed, $"haproxy is not running: {why}");
            await Task.Delay(PollInterval, time, ct);
            before = await TryShowProcAsync(ct);
        }
        try { await host.MasterCommandAsync("reload", ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The master re-executes itself on "reload" and may drop the connection doing so: the counters tell.
            LogReloadCommand(logger, e.Message);
        }
        while (true)
        {
            var now = await TryShowProcAsync(ct);
            if (now is not null && now.Failed > before.Failed)
                return new ReloadOutcome(ReloadResult.Failed, "haproxy could not load the new config (it passed 'haproxy -c'); the old worker keeps serving");
            if (now is not null && now.Reloads > before.Reloads && now.Workers > 0) return ReloadOutcome.Ok;
            if (host.ExitReason is { } why) return new ReloadOutcome(ReloadResult.Failed, $"haproxy exited during the reload: {why}");
            await Task.Delay(PollInterval, time, ct);
        }
    }

    private async Task<MasterProc?> TryShowProcAsync(CancellationToken ct)
    {
        try { return MasterProc.Parse(await host.MasterCommandAsync("show proc", ct)); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
    }

    /// <summary>Writes the config next to the live one, checks it, and only then renames it over the live one.</summary>
    private async Task<string?> WriteCheckedAsync(string config, CancellationToken ct)
    {
        var candidate = ConfigPath + ".new";
        await File.WriteAllTextAsync(candidate, config, ct);
        var check = await host.CheckAsync(candidate, ct);
        if (!check.Valid)
        {
            File.Delete(candidate);
            return string.IsNullOrWhiteSpace(check.Output) ? "haproxy -c failed" : check.Output.Trim();
        }
        File.Move(candidate, ConfigPath, overwrite: true);
        return null;
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();

    [LoggerMessage(2001, LogLevel.Error, "New HAProxy config refused by 'haproxy -c', keeping the running one: {Error}")]
    private static partial void LogInvalid(ILogger logger, string error);

    [LoggerMessage(2002, LogLevel.Error, "HAProxy reload did not take effect: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);

    [LoggerMessage(2003, LogLevel.Debug, "The master CLI's 'reload' ended with {Error} (expected while it re-executes)")]
    private static partial void LogReloadCommand(ILogger logger, string error);
}
