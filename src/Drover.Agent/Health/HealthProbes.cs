using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Apps;
using Microsoft.AspNetCore.WebUtilities;

namespace Drover.Agent.Health;

public enum HealthStatus { Passing, Warning, Critical }

/// <summary>Outcome of one probe; <see cref="Cause"/> says why it did not pass.</summary>
public readonly record struct ProbeResult(HealthStatus Status, string? Cause = null)
{
    public static readonly ProbeResult Passing = new(HealthStatus.Passing);
    public static ProbeResult Critical(string cause) => new(HealthStatus.Critical, cause);
}

/// <summary>One kind of check against one task. Throwing counts as critical; cancellation means timeout.</summary>
public interface IHealthProbe
{
    Task<ProbeResult> ProbeAsync(CancellationToken ct);
}

/// <summary>What a check needs to know about its task.</summary>
public sealed record HealthTarget
{
    public required string TaskId { get; init; }
    /// <summary>Address the task listens on as seen from the agent.</summary>
    public string Host { get; init; } = "127.0.0.1";
    public IReadOnlyList<int> Ports { get; init; } = [];
    public required string Sandbox { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
}

/// <summary>Builds probes for Marathon check definitions; shares one HTTP client (no certificate checks, as Marathon).</summary>
public sealed class HealthProbeFactory : IDisposable
{
    private readonly HttpClient _http;

    public HealthProbeFactory()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The shared client (readiness checks use it too).</summary>
    public HttpClient Http => _http;

    public IHealthProbe Create(HealthCheckDefinition def, HealthTarget target)
    {
        var protocol = def.Protocol.ToUpperInvariant();
        return protocol switch
        {
            HealthProtocols.Http or HealthProtocols.MesosHttp => new HttpProbe(_http, "http", def, target),
            HealthProtocols.Https or HealthProtocols.MesosHttps => new HttpProbe(_http, "https", def, target),
            HealthProtocols.Tcp or HealthProtocols.MesosTcp => new TcpProbe(def, target),
            HealthProtocols.Command => new CommandProbe(def.Command?.Value, target),
            _ => new FixedProbe(ProbeResult.Critical($"unsupported health check protocol '{def.Protocol}'")),
        };
    }

    /// <summary>The port a check targets: its explicit port, else ports[portIndex] (index 0 by default).</summary>
    public static int? ResolvePort(HealthCheckDefinition def, HealthTarget target, out string? error)
    {
        error = null;
        if (def.Port is { } p and > 0) return p;
        var index = def.PortIndex ?? 0;
        if (index >= 0 && index < target.Ports.Count) return target.Ports[index];
        error = $"portIndex {index} is out of range: the task has {target.Ports.Count} port(s)";
        return null;
    }

    public void Dispose() => _http.Dispose();

    private sealed class FixedProbe(ProbeResult result) : IHealthProbe
    {
        public Task<ProbeResult> ProbeAsync(CancellationToken ct) => Task.FromResult(result);
    }

    private sealed class HttpProbe(HttpClient http, string scheme, HealthCheckDefinition def, HealthTarget target) : IHealthProbe
    {
        public async Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (ResolvePort(def, target, out var error) is not { } port) return ProbeResult.Critical(error!);
            var path = string.IsNullOrEmpty(def.Path) ? "/" : def.Path.StartsWith('/') ? def.Path : "/" + def.Path;
            var host = IPAddress.TryParse(target.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{target.Host}]" : target.Host;
            using var req = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{host}:{port}{path}");
            req.Headers.ConnectionClose = true;
            req.Headers.UserAgent.ParseAdd("drover-health/1");
            try
            {
                using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                var code = (int)resp.StatusCode;
                return code is >= 200 and < 400
                    ? ProbeResult.Passing
                    : ProbeResult.Critical($"HTTP {code} {ReasonPhrase(code, resp.ReasonPhrase)} from {req.RequestUri}");
            }
            catch (HttpRequestException e)
            {
                return ProbeResult.Critical($"GET {req.RequestUri} failed: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The standard phrase ("404 Not Found"), not whatever the app sent ("404 File not found" from Python): causes
    /// read the same for every app, and operators (and the CLI) can match on them.
    /// </summary>
    private static string ReasonPhrase(int code, string? sent) =>
        ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } standard ? standard : sent ?? "";

    private sealed class TcpProbe(HealthCheckDefinition def, HealthTarget target) : IHealthProbe
    {
        public async Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (ResolvePort(def, target, out var error) is not { } port) return ProbeResult.Critical(error!);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(target.Host, port, ct).ConfigureAwait(false);
                return ProbeResult.Passing;
            }
            catch (SocketException e)
            {
                return ProbeResult.Critical($"TCP connect to {target.Host}:{port} failed: {e.Message}");
            }
        }
    }

    /// <summary>Runs /bin/sh -c in the sandbox with the task's env: exit 0 passing, 1 warning, anything else critical.</summary>
    private sealed class CommandProbe(string? command, HealthTarget target) : IHealthProbe
    {
        private const int MaxOutput = 512;

        public async Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (string.IsNullOrWhiteSpace(command)) return ProbeResult.Critical("COMMAND check has no command.value");
            var psi = new ProcessStartInfo("/bin/sh")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Directory.Exists(target.Sandbox) ? target.Sandbox : "/",
            };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(command);
            var env = psi.Environment;
            env.TryGetValue("PATH", out var path);
            env.TryGetValue("HOME", out var home);
            env.Clear();
            env["PATH"] = string.IsNullOrEmpty(path) ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path;
            if (!string.IsNullOrEmpty(home)) env["HOME"] = home;
            foreach (var (k, v) in target.Env) env[k] = v;
            env["MESOS_SANDBOX"] = target.Sandbox;
            env["DROVER_SANDBOX"] = target.Sandbox;

            using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /bin/sh");
            process.StandardInput.Close();
            var output = new StringBuilder();
            var stdout = CollectAsync(process.StandardOutput, output);
            var stderr = CollectAsync(process.StandardError, output);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                await Task.WhenAll(stdout, stderr).WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { } // already gone
                throw;
            }
            string text;
            lock (output) text = output.ToString().Trim();
            var detail = text.Length == 0 ? "" : ": " + text;
            return process.ExitCode switch
            {
                0 => ProbeResult.Passing,
                1 => new ProbeResult(HealthStatus.Warning, $"command exited with code 1{detail}"),
                var c => ProbeResult.Critical($"command exited with code {c}{detail}"),
            };
        }

        private static async Task CollectAsync(StreamReader reader, StringBuilder sink)
        {
            var buffer = new char[256];
            int n;
            while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (sink)
                {
                    var room = MaxOutput - sink.Length;
                    if (room > 0) sink.Append(buffer, 0, Math.Min(room, n));
                }
            }
        }
    }
}
