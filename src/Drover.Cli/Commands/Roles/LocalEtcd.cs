using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Cli.CommandLine;
using Drover.Core.Processes;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// A local etcd cluster of 3 members for <c>drover up --ha</c>: etcd (Debian's etcd-server) from PATH as child
/// processes on loopback ports, each with its own data dir under <c>DATA_DIR/etcd</c>. The ports are kept in
/// <c>DATA_DIR/etcd/ports</c>, because etcd records its members' peer URLs in its data: the next <c>up --ha</c> on the
/// same data dir starts the same cluster again. Stopped by PID (SIGTERM, then SIGKILL), never by name. The PIDs are
/// kept in <c>DATA_DIR/etcd/pids</c>: members left running by a drover that was killed (SIGKILL cannot be caught) hold
/// the ports and data dirs, so the next start stops them first, each only once /proc confirms it is etcd on this data dir.
/// </summary>
public sealed class LocalEtcd : IAsyncDisposable
{
    public const string NotInstalled = "etcd is not installed: apt-get install etcd-server";
    private const int Members = 3;
    private readonly List<Process> _processes = [];
    private readonly List<MemberLog> _logs = [];
    private readonly (int Client, int Peer)[] _ports;
    private readonly string _dir;

    private LocalEtcd(string dir, (int Client, int Peer)[] ports)
    {
        _dir = dir;
        _ports = ports;
    }

    /// <summary>Every member's client URL, comma-separated (the form <c>--etcd</c> takes).</summary>
    public string Endpoints => string.Join(",", _ports.Select(p => $"http://127.0.0.1:{p.Client}"));

    public IReadOnlyList<int> Pids => _processes.Select(p => p.Id).ToList();

    /// <summary>The etcd executable on PATH, or null.</summary>
    public static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "etcd")).FirstOrDefault(File.Exists);

    /// <param name="report">Told of leftover members stopped before the start.</param>
    public static async Task<LocalEtcd> StartAsync(string dir, TimeSpan healthyWithin, CancellationToken ct, Action<string>? report = null)
    {
        var exe = FindExecutable() ?? throw new CliException(NotInstalled);
        Directory.CreateDirectory(dir);
        await LocalEtcdLeftovers.StopAsync(dir, report, ct);
        var etcd = new LocalEtcd(dir, LoadOrChoosePorts(dir));
        try
        {
            for (var i = 0; i < Members; i++) etcd.Start(exe, i);
            LocalEtcdLeftovers.Record(dir, etcd.Pids);
            await etcd.WaitHealthyAsync(healthyWithin, ct);
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    private static (int Client, int Peer)[] LoadOrChoosePorts(string dir)
    {
        var file = Path.Combine(dir, "ports");
        if (File.Exists(file))
        {
            var saved = File.ReadAllLines(file).Select(l => l.Split(' ')).Where(p => p.Length == 2)
                .Select(p => (Client: int.Parse(p[0]), Peer: int.Parse(p[1]))).ToArray();
            if (saved.Length == Members) return saved;
        }
        var ports = Enumerable.Range(0, Members).Select(_ => (Client: Drover.Core.Net.FreePorts.Loopback(), Peer: Drover.Core.Net.FreePorts.Loopback())).ToArray();
        File.WriteAllLines(file, ports.Select(p => $"{p.Client} {p.Peer}"));
        return ports;
    }

    private void Start(string exe, int index)
    {
        var name = $"n{index + 1}";
        var client = $"http://127.0.0.1:{_ports[index].Client}";
        var peer = $"http://127.0.0.1:{_ports[index].Peer}";
        var initialCluster = string.Join(",", _ports.Select((p, i) => $"n{i + 1}=http://127.0.0.1:{p.Peer}"));
        // in a session of its own (setsid execs etcd in place, so the PID stays etcd's): the terminal's Ctrl-C reaches
        // drover only, which stops the servers while etcd still answers, and etcd after them
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var psi = new ProcessStartInfo(setsid ?? exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (setsid is not null) psi.ArgumentList.Add(exe);
        foreach (var arg in new[]
                 {
                     "--name", name, "--data-dir", Path.Combine(_dir, name),
                     "--listen-client-urls", client, "--advertise-client-urls", client,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--initial-cluster", initialCluster, "--initial-cluster-token", "drover-up-ha",
                 }.Concat(Drover.State.Etcd.EtcdServerFlags.Required))
        {
            psi.ArgumentList.Add(arg);
        }
        var p = Process.Start(psi) ?? throw new CliException($"could not start {exe}");
        // etcd logs a lot; it goes to a file per member, where a failure can be read
        var log = new MemberLog(Path.Combine(_dir, name + ".log"));
        p.OutputDataReceived += (_, e) => log.Write(e.Data);
        p.ErrorDataReceived += (_, e) => log.Write(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        _logs.Add(log);
    }

    private async Task WaitHealthyAsync(TimeSpan within, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + within;
        for (var i = 0; i < Members; i++)
        {
            while (true)
            {
                if (_processes[i].HasExited)
                    throw new CliException($"etcd member n{i + 1} exited with code {_processes[i].ExitCode}; see {Path.Combine(_dir, $"n{i + 1}.log")}");
                try
                {
                    if ((await http.GetStringAsync($"http://127.0.0.1:{_ports[i].Client}/health", ct)).Contains("\"true\"", StringComparison.Ordinal)) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // not up yet
                }
                if (DateTime.UtcNow > until)
                    throw new CliException($"etcd member n{i + 1} not healthy within {within.TotalSeconds:F0} s; see {Path.Combine(_dir, $"n{i + 1}.log")}");
                await Task.Delay(100, ct);
            }
        }
    }


    /// <summary>SIGTERM to each member's PID (etcd stops cleanly on it), SIGKILL to one that is still there after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited) Signals.Send(p.Id, Signals.Term);
            }
            catch (IOException)
            {
                // not ours to signal any more; the kill below tries once more
            }
        }
        foreach (var p in _processes)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await p.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                try { p.Kill(); } catch (InvalidOperationException) { /* gone meanwhile */ }
                p.WaitForExit(5_000);
            }
            p.Dispose();
        }
        foreach (var log in _logs) log.Dispose();
        LocalEtcdLeftovers.Forget(_dir);
    }

    /// <summary>A member's log file; lines that arrive after it is closed (output still draining) are dropped.</summary>
    private sealed class MemberLog(string path) : IDisposable
    {
        private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
        private bool _closed;

        public void Write(string? line)
        {
            if (line is null) return;
            lock (_writer)
            {
                if (!_closed) _writer.WriteLine(line);
            }
        }

        public void Dispose()
        {
            lock (_writer)
            {
                _closed = true;
                _writer.Dispose();
            }
        }
    }
}
