using Drover.Lb.Processes;

namespace Drover.Lb.Keepalived;

/// <summary>
/// Writes keepalived.conf and the track script, and runs keepalived as Drover's child in the foreground, VRRP only,
/// logging to stderr (<c>-n -l -D -P</c>; its pid files in <see cref="RunDirectory"/> so several can run on one
/// machine). Stopped by PID with SIGTERM, on which keepalived removes the VIP it holds.
/// </summary>
/// <param name="launcher">A command that execs its arguments, keeping the PID (e.g. <c>nsenter --net=/run/netns/h1</c>): runs keepalived inside another network namespace.</param>
public sealed class KeepalivedSupervisor(KeepalivedSettings settings, string runDirectory, string keepalivedPath = "keepalived",
    IReadOnlyList<string>? launcher = null) : IAsyncDisposable
{
    private ChildProcess? _keepalived;

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
        _keepalived = launcher is { Count: > 0 }
            ? ChildProcess.Start("keepalived", launcher[0], [.. launcher.Skip(1), keepalivedPath, .. Arguments])
            : ChildProcess.Start("keepalived", keepalivedPath, Arguments);
    }

    public async ValueTask DisposeAsync()
    {
        if (_keepalived is not null) await _keepalived.DisposeAsync();
    }
}
