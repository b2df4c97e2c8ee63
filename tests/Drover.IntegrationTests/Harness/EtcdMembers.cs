namespace Drover.IntegrationTests.Harness;

/// <summary>
/// A real etcd cluster (Debian's etcd-server, 3.4) of N members as child processes on free loopback ports, each
/// with its own data dir. Adapted from Drover.State.Tests' EtcdCluster onto this harness's
/// <see cref="DroverProcess"/> (output capture, kill by PID); everything is killed and removed on dispose.
/// </summary>
public sealed class EtcdMembers : IAsyncDisposable
{
    private readonly TempDir _dir = new("etcd");
    private readonly Member[] _members;
    private readonly List<DroverProcess> _stopped = []; // killed incarnations, disposed with the rest

    private EtcdMembers(int size)
    {
        _members = Enumerable.Range(1, size).Select(i => new Member($"n{i}", FreePort.Get(), FreePort.Get(), _dir.Combine($"n{i}"))).ToArray();
    }

    public static async Task<EtcdMembers> StartAsync(int size)
    {
        var cluster = new EtcdMembers(size);
        try
        {
            for (var i = 0; i < size; i++) cluster.Start(i);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every member's client URL, comma-separated (the form <c>--etcd</c> takes).</summary>
    public string Endpoints => string.Join(",", _members.Select(m => m.ClientUrl));

    /// <summary>SIGKILL of one member (by its PID); its data dir stays for <see cref="RestartAsync"/>.</summary>
    public async Task KillAsync(int index)
    {
        var m = _members[index];
        if (m.Process is null) return;
        await m.Process.KillAsync(UnixSignal.Kill);
        await m.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts a killed member again on its data dir and ports (it rejoins the cluster it was part of).</summary>
    public void Restart(int index)
    {
        var old = _members[index].Process;
        if (old is { HasExited: false }) throw new InvalidOperationException($"etcd {_members[index].Name} still runs");
        _stopped.Add(old!);
        Start(index);
    }

    public string Diagnostics() => string.Join("\n", _members.Select(m => m.Process?.FormatOutput(20) ?? ""));

    private async Task WaitHealthyAsync(TimeSpan deadline)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var m in _members)
        {
            await Eventually.AsyncAssert(async () =>
            {
                if (m.Process!.HasExited) throw new EventuallyAbortedException($"etcd {m.Name} exited\n{m.Process.FormatOutput(40)}");
                try
                {
                    return (await http.GetStringAsync(m.ClientUrl + "/health")).Contains("\"true\"", StringComparison.Ordinal);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false; // not up yet
                }
            }, deadline, $"etcd member {m.Name} healthy", Diagnostics);
        }
    }

    private void Start(int index)
    {
        var m = _members[index];
        var initialCluster = string.Join(",", _members.Select(x => $"{x.Name}={x.PeerUrl}"));
        m.Process = DroverProcess.StartExecutable("etcd",
        [
            "--name", m.Name, "--data-dir", m.DataDir,
            "--listen-client-urls", m.ClientUrl, "--advertise-client-urls", m.ClientUrl,
            "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-token", "drover-it",
            // Fast etcd elections keep the tests short (etcd's defaults: 100 ms / 1000 ms).
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ], new ProcessOptions { Name = $"etcd:{m.Name}" });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
            if (m.Process is not null) await m.Process.DisposeAsync();
        foreach (var p in _stopped) await p.DisposeAsync();
        _dir.Dispose();
    }

    private sealed class Member(string name, int clientPort, int peerPort, string dataDir)
    {
        public string Name { get; } = name;
        public string ClientUrl { get; } = $"http://127.0.0.1:{clientPort}";
        public string PeerUrl { get; } = $"http://127.0.0.1:{peerPort}";
        public string DataDir { get; } = dataDir;
        public DroverProcess? Process { get; set; }
    }
}
