using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Drover.Bench.EtcdStore;

/// <summary>A loopback etcd cluster for the benchmark: free ports, a temp dir, killed by PID at the end.</summary>
internal sealed class EtcdProcesses : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "drover-bench-etcd-" + Guid.NewGuid().ToString("N"));

    /// <param name="extraArgs">More flags for every member (e.g. bench/c1m's larger transaction limits).</param>
    public EtcdProcesses(int size, params string[] extraArgs)
    {
        var members = Enumerable.Range(1, size).Select(i => (Name: $"n{i}", Client: $"http://127.0.0.1:{FreePort()}", Peer: $"http://127.0.0.1:{FreePort()}")).ToList();
        var initial = string.Join(",", members.Select(m => $"{m.Name}={m.Peer}"));
        foreach (var m in members)
        {
            var psi = new ProcessStartInfo("etcd") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--name", m.Name, "--data-dir", Path.Combine(_dir, m.Name), "--listen-client-urls", m.Client,
                         "--advertise-client-urls", m.Client, "--listen-peer-urls", m.Peer, "--initial-advertise-peer-urls", m.Peer,
                         "--initial-cluster", initial }.Concat(extraArgs.Length > 0 ? extraArgs : Drover.State.Etcd.EtcdServerFlags.Required))
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            _processes.Add(p);
        }
        Endpoints = string.Join(",", members.Select(m => m.Client));
    }

    public string Endpoints { get; }

    public async Task WaitHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        foreach (var url in Endpoints.Split(','))
        {
            while (true)
            {
                try
                {
                    if ((await http.GetStringAsync(url + "/health")).Contains("\"true\"", StringComparison.Ordinal)) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // starting
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"etcd at {url} not healthy");
                await Task.Delay(50);
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            p.WaitForExit(10_000);
            p.Dispose();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
