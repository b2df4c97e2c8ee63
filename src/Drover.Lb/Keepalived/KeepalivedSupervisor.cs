using Drover.Core.Retry;
using Drover.Lb.Processes;

namespace Drover.Lb.Keepalived;

/// <summary>
/// Writes keepalived.conf and the track script, and runs keepalived as Drover's child in the foreground, VRRP only,
/// logging to stderr (<c>-n -l -D -P</c>; its pid files in <see cref="RunDirectory"/> so several can run on one
/// machine). Stopped by PID with SIGTERM, on which keepalived removes the VIP it holds. When keepalived exits on its own
/// (crashed, killed) it is started again after a backoff (1 s doubling to 30 s, reset after a minute of running), as
/// systemd's Restart=on-failure would: while it is gone this host cannot hold the VIP.
/// </summary>
/// <param name="launcher">A command that execs its arguments, keeping the PID (e.g. <c>nsenter --net=/run/netns/h1</c>): runs keepalived inside another network namespace.</param>
public sealed class KeepalivedSupervisor(KeepalivedSettings settings, string runDirectory, string keepalivedPath = "keepalived",
    IReadOnlyList<string>? launcher = null, TimeProvider? time = null) : IAsyncDisposable
{
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stop = new();
    private volatile ChildProcess? _keepalived;
    private Task? _watch;
    private long _restarts;
    private string? _lastExit;

    /// <summary>Times keepalived was started again after exiting on its own.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>How the last unexpected exit looked (exit code and its last output line), or null.</summary>
    public string? LastExit => _lastExit;

    public string RunDirectory { get; } = Path.GetFullPath(runDirectory);
    public string ConfigPath => Path.Combine(RunDirectory, "keepalived.conf");
    public int? Pid => _keepalived is { HasExited: false } k ? k.Pid : null;
    public string Output => _keepalived?.Output ?? "";

    /// <summary>The command line, for a caller that starts it elsewhere (inside a network namespace, under systemd).</summary>
    public IReadOnlyList<string> Arguments =>
    [
        "-n", "-l", "-D", "-P",
        "-f", ConfigPath,
        "-p", Path.Combine(RunDirectory, "keepalived.pid"),
        "-r", Path.Combine(RunDirectory, "vrrp.pid"),
    ];

    /// <summary>Writes both files (the script executable); returns the config text.</summary>
    public async Task<string> WriteFilesAsync(CancellationToken ct = default)
    {
        Directory.CreateDirectory(RunDirectory);
        await File.WriteAllTextAsync(settings.TrackScriptPath, KeepalivedRenderer.TrackScript(settings), ct);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(settings.TrackScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = KeepalivedRenderer.Render(settings);
        await File.WriteAllTextAsync(ConfigPath, config, ct);
        return config;
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (_keepalived is { HasExited: false }) throw new InvalidOperationException($"keepalived already runs (pid {_keepalived.Pid})");
        await WriteFilesAsync(ct);
        _keepalived = Launch();
        _watch ??= Task.Run(() => KeepRunningAsync(_stop.Token), CancellationToken.None);
    }

    private ChildProcess Launch() => launcher is { Count: > 0 }
        ? ChildProcess.Start("keepalived", launcher[0], [.. launcher.Skip(1), keepalivedPath, .. Arguments])
        : ChildProcess.Start("keepalived", keepalivedPath, Arguments);

    private async Task KeepRunningAsync(CancellationToken ct)
    {
        var backoff = new Backoff(_time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (!ct.IsCancellationRequested)
        {
            var current = _keepalived;
            if (current is null) return;
            var started = _time.GetUtcNow();
            try { await current.WaitForExitAsync(ct); }
            catch (OperationCanceledException) { return; }
            if (ct.IsCancellationRequested) return;
            var lastLine = current.Output.Split('\n').LastOrDefault(l => l.Length > 0);
            _lastExit = $"keepalived (pid {current.Pid}) exited at {_time.GetUtcNow():O}{(lastLine is null ? "" : $": {lastLine}")}";
            if (_time.GetUtcNow() - started >= StableAfter) backoff.Reset();
            try { await backoff.WaitAsync(ct); }
            catch (OperationCanceledException) { return; }
            await current.DisposeAsync();
            _keepalived = Launch();
            Interlocked.Increment(ref _restarts);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_watch is not null) await _watch;
        if (_keepalived is not null) await _keepalived.DisposeAsync();
        _stop.Dispose();
    }
}
