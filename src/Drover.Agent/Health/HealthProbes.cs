using System.Net;
using System.Net.Sockets;
using Drover.Core.Apps;
using Drover.Core.Discovery;
using Drover.Health;

namespace Drover.Agent.Health;

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
            var uri = new Uri($"{scheme}://{host}:{port}{path}");
            try
            {
                var resp = await Drover.Health.HttpProbe.SendAsync(http, new HttpProbeRequest { Uri = uri, CloseConnection = true }, ct).ConfigureAwait(false);
                return Drover.Health.HttpProbe.Classify(resp.StatusCode, HttpCheckRules.Marathon) == HealthStatus.Passing
                    ? ProbeResult.Passing
                    : ProbeResult.Critical($"HTTP {resp.StatusCode} {resp.ReasonPhrase} from {uri}");
            }
            catch (HttpRequestException e)
            {
                return ProbeResult.Critical($"GET {uri} failed: {e.Message}");
            }
        }
    }

    private sealed class TcpProbe(HealthCheckDefinition def, HealthTarget target) : IHealthProbe
    {
        public async Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (ResolvePort(def, target, out var error) is not { } port) return ProbeResult.Critical(error!);
            return await Drover.Health.TcpProbe.TryConnectAsync(target.Host, port, ct).ConfigureAwait(false) is { } failure
                ? ProbeResult.Critical($"TCP connect to {target.Host}:{port} failed: {failure}")
                : ProbeResult.Passing;
        }
    }

    /// <summary>Runs /bin/sh -c in the sandbox with the task's env: exit 0 passing, 1 warning, anything else critical.</summary>
    private sealed class CommandProbe(string? command, HealthTarget target) : IHealthProbe
    {
        private const int MaxOutput = 512;

        public async Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (string.IsNullOrWhiteSpace(command)) return ProbeResult.Critical("COMMAND check has no command.value");
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            };
            if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home) env["HOME"] = home;
            foreach (var (k, v) in target.Env) env[k] = v;
            env["MESOS_SANDBOX"] = target.Sandbox;
            env["DROVER_SANDBOX"] = target.Sandbox;
            var outcome = await Drover.Health.CommandProbe.RunAsync(new CommandProbeSpec
            {
                FileName = "/bin/sh",
                Arguments = ["-c", command],
                WorkingDirectory = Directory.Exists(target.Sandbox) ? target.Sandbox : "/",
                Environment = env,
                MaxOutput = MaxOutput,
            }, ct).ConfigureAwait(false);
            var text = outcome.Output.Trim();
            var detail = text.Length == 0 ? "" : ": " + text;
            return Drover.Health.CommandProbe.Classify(outcome.ExitCode) switch
            {
                HealthStatus.Passing => ProbeResult.Passing,
                var status => new ProbeResult(status, $"command exited with code {outcome.ExitCode}{detail}"),
            };
        }
    }
}
