using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Discovery;

namespace Drover.Server.Discovery;

public sealed record ProbeResult(HealthStatus Status, string Output);

/// <summary>
/// One run of an HTTP, TCP or script check, with Consul's result rules: HTTP 2xx passing, 429 warning, anything
/// else critical; TCP connect passing; script exit 0 passing, 1 warning, anything else (or a timeout) critical.
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
        using var req = new HttpRequestMessage(new HttpMethod(d.Method), d.Http);
        if (d.Body is { Length: > 0 } body) req.Content = new StringContent(body, Encoding.UTF8);
        req.Headers.TryAddWithoutValidation("User-Agent", "Consul Health Check");
        req.Headers.TryAddWithoutValidation("Accept", "text/plain, text/*, */*");
        foreach (var (name, values) in d.Header)
        {
            if (!req.Headers.TryAddWithoutValidation(name, values) && req.Content is not null)
            {
                req.Content.Headers.Remove(name);
                req.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }
        try
        {
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var text = await ReadLimitedAsync(await resp.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false), d.OutputMaxSize, linked.Token).ConfigureAwait(false);
            var code = (int)resp.StatusCode;
            var status = code is >= 200 and <= 299 ? HealthStatus.Passing : code == 429 ? HealthStatus.Warning : HealthStatus.Critical;
            return new ProbeResult(status, $"HTTP {d.Method} {d.Http}: {code} {resp.ReasonPhrase} Output: {text}");
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
        var colon = target.LastIndexOf(':');
        var host = target[..colon].Trim('[', ']');
        var port = int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        using var timeout = new CancellationTokenSource(d.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            return new ProbeResult(HealthStatus.Passing, $"TCP connect {target}: Success");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(HealthStatus.Critical, $"dial tcp {target}: i/o timeout");
        }
        catch (SocketException ex)
        {
            return new ProbeResult(HealthStatus.Critical, $"dial tcp {target}: connect: {ex.Message}");
        }
    }

    public async Task<ProbeResult> ScriptAsync(CheckDefinition d, CancellationToken ct)
    {
        var args = d.Args!;
        var psi = new ProcessStartInfo(args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args.Skip(1)) psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ProbeResult(HealthStatus.Critical, $"cannot run {args[0]}: {ex.Message}");
        }
        process.StandardInput.Close();
        var stdout = ReadLimitedAsync(process.StandardOutput.BaseStream, d.OutputMaxSize, CancellationToken.None);
        var stderr = ReadLimitedAsync(process.StandardError.BaseStream, d.OutputMaxSize, CancellationToken.None);
        using var timeout = new CancellationTokenSource(d.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (ct.IsCancellationRequested) throw;
            return new ProbeResult(HealthStatus.Critical, $"Timed out ({d.Timeout.TotalSeconds:0.###}s) running check");
        }
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (output.Length > d.OutputMaxSize) output = output[..d.OutputMaxSize];
        var status = process.ExitCode switch { 0 => HealthStatus.Passing, 1 => HealthStatus.Warning, _ => HealthStatus.Critical };
        return new ProbeResult(status, output);
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>Reads at most <paramref name="max"/> bytes as UTF-8 and drains the rest (a script must not block on a full pipe).</summary>
    private static async Task<string> ReadLimitedAsync(Stream s, int max, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(max, 64 * 1024) + 1];
        var kept = new MemoryStream();
        int n;
        while ((n = await s.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var room = max - (int)kept.Length;
            if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
        }
        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }
}
