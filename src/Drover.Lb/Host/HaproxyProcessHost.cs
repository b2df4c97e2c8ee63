using System.Collections.Concurrent;
using System.Diagnostics;
using Drover.Lb.Haproxy;
using Microsoft.Extensions.Logging;

namespace Drover.Lb.Host;

/// <summary>
/// The real HAProxy: "haproxy -W -db -S master.sock -f cfg" as a child process (master-worker in the foreground, the
/// master CLI on a unix socket), stopped by its PID. With <paramref name="attach"/> it drives an HAProxy someone else
/// started with "-S" (the same commands, but it neither starts nor stops it). With a <paramref name="pidFile"/> it records
/// the master's PID, and a later host on the same files re-adopts a master that outlived its lb (<see cref="TryAdopt"/>).
/// </summary>
public sealed partial class HaproxyProcessHost(string haproxyPath, string masterSocket, ILogger logger, bool attach = false, string? pidFile = null) : IHaproxyHost
{
    private readonly ConcurrentQueue<string> _lastLines = new();
    private Process? _process;
    private int? _adopted;

    public string MasterSocket { get; } = masterSocket;
    public int? Pid => _process?.Id ?? _adopted;

    public string? ExitReason =>
        _process is { HasExited: true } p ? $"exit code {p.ExitCode}: {string.Join(" | ", _lastLines)}"
        : _adopted is { } a && !LeftoverMaster.IsAlive(a) ? $"the adopted HAProxy master (pid {a}) is gone" : null;

    /// <summary>Adopts the master recorded in the pid file when it is still our HAProxy; says what was decided either way.</summary>
    public AdoptDecision? TryAdopt(string configPath)
    {
        if (attach || pidFile is null) return null;
        var decision = LeftoverMaster.Decide(pidFile, configPath, MasterSocket);
        if (decision.Pid is { } pid)
        {
            _adopted = pid;
            LogAdopted(logger, pid, decision.Reason);
        }
        else LogNotAdopted(logger, decision.Reason);
        return decision;
    }

    public async Task<ConfigCheck> CheckAsync(string configPath, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(haproxyPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "-q", "-f", configPath }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {haproxyPath}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try { await p.WaitForExitAsync(ct); }
        catch (OperationCanceledException) { p.Kill(); throw; }
        var output = (await stdout + await stderr).Replace(configPath, Path.GetFileName(configPath)).Trim();
        return new ConfigCheck(p.ExitCode == 0, output);
    }

    public Task StartAsync(string configPath, CancellationToken ct)
    {
        if (attach) return Task.CompletedTask;
        if (File.Exists(MasterSocket)) File.Delete(MasterSocket);
        var psi = new ProcessStartInfo(haproxyPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-W", "-db", "-S", MasterSocket, "-f", configPath }) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        if (!p.Start()) throw new InvalidOperationException($"cannot start {haproxyPath}");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        if (pidFile is not null) WritePidFile(pidFile, p.Id);
        LogStarted(logger, p.Id, haproxyPath);
        return Task.CompletedTask;
    }

    public Task<string> MasterCommandAsync(string command, CancellationToken ct) =>
        new RuntimeApi(MasterSocket, TimeSpan.FromSeconds(5)).CommandAsync(command, ct);

    private void Line(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        _lastLines.Enqueue(line);
        while (_lastLines.Count > 5) _lastLines.TryDequeue(out _);
        LogHaproxy(logger, line);
    }

    private static void WritePidFile(string path, int pid)
    {
        var tmp = path + ".new";
        File.WriteAllText(tmp, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Ends the master and its workers, by PID (an adopted master is not our child: SIGTERM, then SIGKILL).</summary>
    public async ValueTask DisposeAsync()
    {
        var ours = _process is not null || _adopted is not null;
        if (_adopted is { } adopted)
        {
            await StopAdoptedAsync(adopted);
            _adopted = null;
        }
        if (pidFile is not null && ours) File.Delete(pidFile);
        if (_process is not { } p) return;
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await p.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        p.Dispose();
        _process = null;
    }

    private static async Task StopAdoptedAsync(int pid)
    {
        // The master's SIGTERM is a hard stop: it ends its workers and exits, as when it is our child.
        Drover.Core.Processes.Signals.Send(pid, Drover.Core.Processes.Signals.Term);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (LeftoverMaster.IsAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(20);
        if (LeftoverMaster.IsAlive(pid)) Drover.Core.Processes.Signals.Send(pid, Drover.Core.Processes.Signals.Kill);
    }

    [LoggerMessage(2012, LogLevel.Information, "Adopted the running HAProxy (master pid {Pid}) instead of starting another: {Reason}")]
    private static partial void LogAdopted(ILogger logger, int pid, string reason);

    [LoggerMessage(2013, LogLevel.Information, "Starting a new HAProxy: {Reason}")]
    private static partial void LogNotAdopted(ILogger logger, string reason);

    [LoggerMessage(2010, LogLevel.Information, "Started HAProxy (pid {Pid}) from {Path}")]
    private static partial void LogStarted(ILogger logger, int pid, string path);

    [LoggerMessage(2011, LogLevel.Information, "haproxy: {Line}")]
    private static partial void LogHaproxy(ILogger logger, string line);
}
