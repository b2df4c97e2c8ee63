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
/// </summary>
public sealed class NginxSupervisor(string configPath, NginxSettings settings, string nginxPath = "nginx") : IAsyncDisposable
{
    private readonly NginxWriter _writer = new(configPath, settings, nginxPath);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChildProcess? _nginx;

    public string ConfigPath => _writer.ConfigPath;
    public int? Pid => _nginx is { HasExited: false } n ? n.Pid : null;
    public string Output => _nginx?.Output ?? "";
    public int Reloads { get; private set; }

    public async Task<NginxApplyResult> ApplyAsync(LbConfig config, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var written = await _writer.WriteAsync(NginxRenderer.Render(config, settings), ct);
            if (written.Outcome == NginxWriteOutcome.Rejected && !File.Exists(ConfigPath))
                return new(written.Outcome, false, false, written.Error + " (and there is no earlier config to run Nginx with)");
            if (_nginx is null or { HasExited: true })
            {
                if (_nginx is not null) await _nginx.DisposeAsync();
                _nginx = ChildProcess.Start("nginx", nginxPath, ["-e", "stderr", "-c", ConfigPath, "-p", settings.Prefix, "-g", "daemon off;"]);
                return new(written.Outcome, false, true, written.Error);
            }
            if (written.Outcome != NginxWriteOutcome.Written) return new(written.Outcome, false, false, written.Error);
            _nginx.Signal(Signals.Hup);
            Reloads++;
            return new(written.Outcome, true, false);
        }
        finally { _gate.Release(); }
    }

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
