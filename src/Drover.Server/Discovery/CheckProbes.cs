using Drover.Server.Storage;
using Drover.Core.Discovery;
using Drover.Core.Net;
using Drover.Health;

namespace Drover.Server.Discovery;

/// <summary>
/// One run of an HTTP, TCP or script check (the probes of Drover.Health, shared with the agent), with Consul's
/// rules and wording: HTTP 2xx passing, 429 warning, anything else critical; TCP connect passing; script exit
/// 0 passing, 1 warning, anything else (or a timeout) critical.
/// </summary>
public sealed class CheckProbes(IHttpClientFactory httpFactory, TimeProvider time)
{
    public const string HttpClientName = "consul-checks";
    public const string InsecureHttpClientName = "consul-checks-insecure";

    public Task<ProbeResult> RunAsync(CheckDefinition d, CancellationToken ct) => d.Type switch
    {
        "http" => HttpAsync(d, ct),
        "tcp" => TcpAsync(d, ct),
        "script" => ScriptAsync(d, ct),
        _ => Task.FromResult(new ProbeResult(HealthStatus.Critical, $"check type {d.Type} cannot be probed")),
    };

    public async Task<ProbeResult> HttpAsync(CheckDefinition d, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(d.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var http = httpFactory.CreateClient(d.TlsSkipVerify ? InsecureHttpClientName : HttpClientName);
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Accept"] = ["text/plain, text/*, */*"] };
        foreach (var (name, values) in d.Header) headers[name] = [.. values];
        try
        {
            var resp = await HttpProbe.SendAsync(http, new HttpProbeRequest
            {
                Uri = new Uri(d.Http!),
                Method = d.Method,
                Headers = headers,
                Body = d.Body,
                UserAgent = "Consul Health Check",
                MaxBody = d.OutputMaxSize,
            }, linked.Token).ConfigureAwait(false);
            return new ProbeResult(HttpProbe.Classify(resp.StatusCode, HttpCheckRules.Consul),
                $"HTTP {d.Method} {d.Http}: {resp.StatusCode} {resp.ReasonPhrase} Output: {resp.Body}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(HealthStatus.Critical, $"Get \"{d.Http}\": timed out after {d.Timeout.TotalSeconds:0.###}s");
        }
        catch (HttpRequestException ex)
        {
            return new ProbeResult(HealthStatus.Critical, $"Get \"{d.Http}\": {ex.Message}");
        }
    }

    public async Task<ProbeResult> TcpAsync(CheckDefinition d, CancellationToken ct)
    {
        var target = d.Tcp!;
        if (!HostPort.TrySplit(target, out var hp, out var error)) return new ProbeResult(HealthStatus.Critical, $"dial tcp {target}: {error}");
        using var timeout = new CancellationTokenSource(d.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await TcpProbe.TryConnectAsync(hp.Host, hp.Port, linked.Token).ConfigureAwait(false) is { } failure
                ? new ProbeResult(HealthStatus.Critical, $"dial tcp {target}: connect: {failure}")
                : new ProbeResult(HealthStatus.Passing, $"TCP connect {target}: Success");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(HealthStatus.Critical, $"dial tcp {target}: i/o timeout");
        }
    }

    public async Task<ProbeResult> ScriptAsync(CheckDefinition d, CancellationToken ct)
    {
        var args = d.Args!;
        using var timeout = new CancellationTokenSource(d.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var outcome = await CommandProbe.RunAsync(new CommandProbeSpec { FileName = args[0], Arguments = [.. args.Skip(1)], MaxOutput = d.OutputMaxSize }, linked.Token)
                .ConfigureAwait(false);
            return new ProbeResult(CommandProbe.Classify(outcome.ExitCode), outcome.Output);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ProbeResult(HealthStatus.Critical, $"cannot run {args[0]}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(HealthStatus.Critical, $"Timed out ({d.Timeout.TotalSeconds:0.###}s) running check");
        }
    }
}
