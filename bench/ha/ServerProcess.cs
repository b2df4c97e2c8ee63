using System.Collections.Concurrent;
using System.Diagnostics;

namespace Drover.Bench.Ha;

/// <summary>
/// One <c>dotnet drover.dll server --etcd …</c> on a fixed loopback port and data dir, so it can be killed and started
/// again as the same server; with no <paramref name="etcd"/>, a single server on its SQLite file in the data dir.
/// </summary>
internal sealed class ServerProcess(int port, string dataDir, string? etcd, string? leaseTtl) : IDisposable
{
    private readonly ConcurrentQueue<string> _tail = new();
    private Process? _process;

    public int Port { get; } = port;

    public string HostPort => $"127.0.0.1:{Port}";

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public bool Running => _process is { HasExited: false };

    public string Tail => string.Join("\n", _tail);

    public async Task StartAsync(HttpClient http)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] ha = etcd is null ? [] : ["--etcd", etcd, "--advertise", $"http://{HostPort}", .. leaseTtl is null ? Array.Empty<string>() : ["--leader-lease-ttl", leaseTtl]];
        string[] args = ["server", "--listen", HostPort, "--data-dir", dataDir, "--dns-listen", "off", "--token", "bench-ha-token", .. ha];
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drover.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => Keep(e.Data);
        p.ErrorDataReceived += (_, e) => Keep(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException($"server {HostPort} exited with {p.ExitCode}\n{Tail}");
            try
            {
                if ((await http.GetAsync(new Uri(Url, "/ping"))).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // starting
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"server {HostPort} not up after 90 s\n{Tail}");
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL by PID, as a crash: no resignation, the others wait for the lease to expire.</summary>
    public void Kill()
    {
        if (_process is not { } p) return;
        try
        {
            p.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // gone already
        }
        p.WaitForExit(10_000);
        p.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();

    private void Keep(string? line)
    {
        if (line is null) return;
        _tail.Enqueue(line);
        while (_tail.Count > 40) _tail.TryDequeue(out _);
    }
}
