using System.Diagnostics;
using System.Formats.Tar;
using Drover.Agent.Docker;

namespace Drover.Bench.TaskStart;

/// <summary>
/// A dockerd of the benchmark's own (own data root, socket and bridge, no iptables changes) with a local busybox
/// image, as the integration tests start theirs: so the figures never depend on, or disturb, a host's Docker.
/// </summary>
internal sealed class PrivateDockerd : IAsyncDisposable
{
    public const string Image = "drover-bench/busybox:1";
    private readonly string _dir = Path.Combine("/tmp", "drv-b-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _bridge = "drvb" + Guid.NewGuid().ToString("N")[..8];
    private Process? _process;

    public string Socket => Path.Combine(_dir, "docker.sock");

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_dir);
        var used = Run("ip", "-4", "-o", "addr");
        var n = Enumerable.Range(1, 254).OrderBy(_ => Random.Shared.Next()).First(i => !used.Contains($"172.31.{i}.", StringComparison.Ordinal));
        Must("ip", "link", "add", "name", _bridge, "type", "bridge");
        Must("ip", "addr", "add", $"172.31.{n}.1/24", "dev", _bridge);
        Must("ip", "link", "set", _bridge, "up");
        var psi = new ProcessStartInfo("/usr/sbin/dockerd")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--data-root", Path.Combine(_dir, "root"), "--exec-root", Path.Combine(_dir, "exec"), "-H", "unix://" + Socket,
                     "--pidfile", Path.Combine(_dir, "docker.pid"), "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge", _bridge,
                     "--shutdown-timeout", "3" })
            psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = new DockerClient(Socket);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (File.Exists(Socket) && await client.PingAsync()) break;
            }
            catch (DockerApiException) { }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60) || _process.HasExited) throw new InvalidOperationException("dockerd did not start");
            await Task.Delay(100);
        }
        var tar = Path.Combine(_dir, "rootfs.tar");
        await using (var file = File.Create(tar))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            foreach (var d in new[] { "bin/", "tmp/", "www/", "etc/", "proc/", "sys/", "dev/" })
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, d) { Mode = (UnixFileMode)0b111_101_101 });
            await writer.WriteEntryAsync("/bin/busybox", "bin/busybox");
            foreach (var a in new[] { "sh", "sleep", "httpd", "echo" })
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + a) { LinkName = "busybox" });
        }
        Must("docker", "-H", "unix://" + Socket, "import", tar, Image);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Run("kill", "-TERM", _process.Id.ToString());
            if (!_process.WaitForExit(30_000)) _process.Kill();
        }
        await Task.CompletedTask;
        foreach (var m in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_dir + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
            Run("umount", "-l", m);
        Run("ip", "link", "del", _bridge);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}");
    }

    private static void Must(string file, params string[] args) => Run(file, args);
}
