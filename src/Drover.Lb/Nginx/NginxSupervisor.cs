using System.Globalization;
using Drover.Lb.Control;
using Drover.Lb.Model;
using Drover.Core.Processes;
using Drover.Lb.Processes;

namespace Drover.Lb.Nginx;

/// <summary>What one <see cref="NginxSupervisor.ApplyAsync"/> did.</summary>
/// <param name="Error">Nginx's refusal of the new config (the old one keeps serving), or why it could not be started.</param>
public sealed record NginxApplyResult(NginxWriteOutcome Outcome, bool Reloaded, bool Started, string? Error = null);

/// <summary>
/// Runs Nginx in the foreground as Drover's child (<c>nginx -c … -p … -g 'daemon off;'</c>) and keeps its config in
/// step with an <see cref="LbConfig"/>: renders it, writes it only when the text changed and <c>nginx -t</c> accepts
/// it, and then reloads (SIGHUP to the master, by PID — what <c>nginx -s reload</c> sends). Nginx's graceful reload
/// lets old workers finish their requests. If Nginx died it is started again on the next apply.
/// As an <see cref="ILbConfigSink"/> it follows the lb controller's desired state (<c>drover lb --nginx</c>).
/// </summary>
public sealed class NginxSupervisor(string configPath, NginxSettings settings, string nginxPath = "nginx", TimeProvider? time = null)
    : ILbConfigSink, IAsyncDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _statusGate = new();
    private long _applies, _writes, _rejected, _starts;
    private DateTimeOffset? _lastWriteAt, _lastErrorAt;
    private string? _lastError;

    private readonly NginxWriter _writer = new(configPath, settings, nginxPath);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChildProcess? _nginx;

    public string ConfigPath => _writer.ConfigPath;
    public int? Pid => _nginx is { HasExited: false } n ? n.Pid : null;
    public string Output => _nginx?.Output ?? "";
    public int Reloads { get; private set; }

    async Task<string?> ILbConfigSink.ApplyAsync(LbConfig config, CancellationToken ct)
    {
        var result = await ApplyAsync(config, ct);
        if (result.Error is null) return null;
        return $"nginx: {result.Error}";
    }

    /// <summary>What `drover lb status` shows of Nginx.</summary>
    public NginxStatus Status()
    {
        lock (_statusGate)
        {
            return new NginxStatus(ConfigPath, Pid, _applies, _writes, Reloads, _rejected, _starts, Iso(_lastWriteAt), _lastError, Iso(_lastErrorAt));
        }
    }

    public async Task<NginxApplyResult> ApplyAsync(LbConfig config, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var result = await ApplyLockedAsync(config, ct);
            Record(result);
            return result;
        }
        finally { _gate.Release(); }
    }

    private void Record(NginxApplyResult result)
    {
        lock (_statusGate)
        {
            _applies++;
            if (result.Outcome == NginxWriteOutcome.Written) { _writes++; _lastWriteAt = _time.GetUtcNow(); }
            if (result.Outcome == NginxWriteOutcome.Rejected) _rejected++;
            if (result.Started) _starts++;
            if (result.Error is not null) { _lastError = result.Error; _lastErrorAt = _time.GetUtcNow(); }
        }
    }

    private static string? Iso(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private async Task<NginxApplyResult> ApplyLockedAsync(LbConfig config, CancellationToken ct)
    {
        var written = await _writer.WriteAsync(NginxRenderer.Render(config, settings), ct);
        if (written.Outcome == NginxWriteOutcome.Rejected && !File.Exists(ConfigPath))
            return new(written.Outcome, false, false, written.Error + " (and there is no earlier config to run Nginx with)");
        if (_nginx is null or { HasExited: true })
        {
            // Nginx that died (a port taken, killed by someone) is reported and started again: the next sync repairs it.
            var died = _nginx is null ? null : $"nginx had exited ({LastLine(_nginx.Output)}); started it again";
            if (_nginx is not null) await _nginx.DisposeAsync();
            _nginx = ChildProcess.Start("nginx", nginxPath, ["-e", "stderr", "-c", ConfigPath, "-p", settings.Prefix, "-g", "daemon off;"]);
            return new(written.Outcome, false, true, written.Error ?? died);
        }
        if (written.Outcome != NginxWriteOutcome.Written) return new(written.Outcome, false, false, written.Error);
        _nginx.Signal(Signals.Hup);
        Reloads++;
        return new(written.Outcome, true, false);
    }

    private static string LastLine(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() is { } line ? line : "no output";

    /// <summary>Graceful stop (SIGQUIT: workers finish their requests), then by PID if it takes too long.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.StopAsync(Signals.Quit, TimeSpan.FromSeconds(10));
            await _nginx.DisposeAsync();
        }
        _gate.Dispose();
    }
}
