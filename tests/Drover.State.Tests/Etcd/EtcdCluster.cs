using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.State.Tests.Etcd;

/// <summary>
/// A real etcd cluster (Debian's etcd-server, 3.4) of 1 or more members on free loopback ports, data in a temp dir.
/// Members are killed by PID; everything is killed and removed on dispose, whatever the test did.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Member[] _members;

    private EtcdCluster(int size)
    {
        _members = Enumerable.Range(1, size).Select(i => new Member($"n{i}", FreePort(), FreePort(), _dir.File($"n{i}"))).ToArray();
    }

    public static async Task<EtcdCluster> StartAsync(int size)
    {
        var cluster = new EtcdCluster(size);
        try
        {
            for (var i = 0; i < size; i++) cluster.Start(i);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public int Size => _members.Length;

    /// <summary>Every member's client URL, comma-separated (the form <c>--etcd</c> takes).</summary>
    public string Endpoints => string.Join(",", _members.Select(m => m.ClientUrl));

    public Uri ClientUrl(int member) => new(_members[member].ClientUrl);

    public void Kill(int member)
    {
        var m = _members[member];
        if (m.Process is not { } p) return;
        try
        {
            p.Kill(); // SIGKILL of this PID only
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        p.WaitForExit(10_000);
        p.Dispose();
        m.Process = null;
    }

    /// <summary>Starts a killed member again on its data dir and ports.</summary>
    public void Restart(int member) => Start(member);

    public string Log(int member) => _members[member].Log.ToString();

    /// <summary>The end of every member's log, for a failing test's output.</summary>
    public string Diagnostics() => string.Join("\n", _members.Select(m => $"--- etcd {m.Name}\n{Tail(m.Log.ToString())}"));

    public async Task WaitHealthyAsync(TimeSpan deadline, int? member = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + deadline;
        var targets = member is { } only ? [_members[only]] : _members.Where(m => m.Process is not null).ToArray();
        foreach (var m in targets)
        {
            while (true)
            {
                try
                {
                    var body = await http.GetStringAsync(m.ClientUrl + "/health");
                    if (body.Contains("\"true\"", StringComparison.Ordinal)) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // not up yet
                }
                if (DateTime.UtcNow > until) throw new TimeoutException($"etcd member {m.Name} not healthy within {deadline}: {Tail(m.Log.ToString())}");
                await Task.Delay(50);
            }
        }
    }

    private void Start(int index)
    {
        var m = _members[index];
        var initialCluster = string.Join(",", _members.Select(x => $"{x.Name}={x.PeerUrl}"));
        var psi = new ProcessStartInfo("etcd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--name", m.Name, "--data-dir", m.DataDir,
                     "--listen-client-urls", m.ClientUrl, "--advertise-client-urls", m.ClientUrl,
                     "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
                     "--initial-cluster", initialCluster, "--initial-cluster-token", "drover-test",
                     // Fast elections keep the quorum tests short (etcd's defaults: 100 ms / 1000 ms).
                     "--heartbeat-interval", "50", "--election-timeout", "500",
                 }.Concat(Drover.State.Etcd.EtcdServerFlags.Required))
        {
            psi.ArgumentList.Add(arg);
        }
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Append(m.Log, e.Data);
        p.ErrorDataReceived += (_, e) => Append(m.Log, e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        m.Process = p;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            if (log.Length > 200_000) log.Remove(0, 100_000);
            log.AppendLine(line);
        }
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _members.Length; i++) Kill(i);
        await Task.Yield();
        _dir.Dispose();
    }

    private sealed class Member(string name, int clientPort, int peerPort, string dataDir)
    {
        public string Name { get; } = name;
        public string ClientUrl { get; } = $"http://127.0.0.1:{clientPort}";
        public string PeerUrl { get; } = $"http://127.0.0.1:{peerPort}";
        public string DataDir { get; } = dataDir;
        public StringBuilder Log { get; } = new();
        public Process? Process { get; set; }
    }
}

/// <summary>One single-member etcd per test class.</summary>
public sealed class SingleEtcd : IAsyncLifetime
{
    public EtcdCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await EtcdCluster.StartAsync(1);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix() => $"/t/{Guid.NewGuid():N}/";
}
