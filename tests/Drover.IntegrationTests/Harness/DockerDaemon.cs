using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using Drover.Agent.Docker;
using Drover.IntegrationTests.Harness.Netns;

namespace Drover.IntegrationTests.Harness;

/// <summary>
/// A private dockerd for tests: its own data root, exec root and socket under a short temp directory, its own
/// bridge (so it never shares docker0 with another daemon on this machine), no iptables changes. Starts with a
/// tiny local image (<see cref="Image"/>: busybox-static and its applets) so nothing is pulled from the internet.
/// Disposing stops it by its PID and removes the bridge, leftover mounts and directories.
/// </summary>
/// <remarks>
/// Fails loudly when dockerd is missing or cannot run (./test.sh installs docker.io and busybox-static): a test
/// needing Docker never passes silently without it. Written so the network-namespace harness can start one per
/// namespace host later (the bridge and directory are all it owns).
/// </remarks>
public sealed class DockerDaemon : IAsyncDisposable
{
    public const string Image = "drover-test/busybox:1";
    private static readonly string[] Applets =
        ["sh", "sleep", "nc", "httpd", "echo", "cat", "ls", "env", "yes", "head", "tail", "true", "false", "kill", "ps", "id",
         "hostname", "mkdir", "touch", "printf", "seq", "tr", "date", "nslookup", "wc", "grep", "dd", "test"];

    private readonly string _dir;
    private readonly string _bridge;
    private readonly NetnsHost? _host;
    private DroverProcess? _process;

    private DockerDaemon(string dir, string bridge, NetnsHost? host)
    {
        _dir = dir;
        _bridge = bridge;
        _host = host;
    }

    /// <summary>The daemon's unix socket (what the agent's --docker-socket gets).</summary>
    public string Socket => Path.Combine(_dir, "docker.sock");
    public DockerClient Client { get; private set; } = null!;
    /// <summary>The host's address on this daemon's bridge (the containers' gateway).</summary>
    public string BridgeAddress { get; private set; } = "";

    /// <param name="host">
    /// A network-namespace host to run the daemon in (its bridge, containers and published ports live there, as on a
    /// machine of its own); null: this machine's own network namespace. The socket is a file either way, so the test
    /// and the agent reach it alike.
    /// </param>
    public static async Task<DockerDaemon> StartAsync(NetnsHost? host = null)
    {
        var dockerd = new[] { "/usr/sbin/dockerd", "/usr/bin/dockerd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("dockerd is not installed (apt-get install docker.io; ./test.sh does it): the Docker tests cannot run");
        if (!File.Exists("/bin/busybox") && !File.Exists("/usr/bin/busybox"))
            throw new InvalidOperationException("busybox is not installed (apt-get install busybox-static; ./test.sh does it): no test image can be made");
        var tag = Guid.NewGuid().ToString("N")[..8];
        // Short: the sockets under it (docker.sock, containerd's) must fit in 107 bytes.
        var dir = Path.Combine("/tmp", "drv-d-" + tag);
        Directory.CreateDirectory(dir);
        var daemon = new DockerDaemon(dir, "drvb" + tag, host);
        try
        {
            await daemon.CreateBridgeAsync();
            await daemon.StartDaemonAsync(dockerd);
            await daemon.ImportImageAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>A /24 in 172.31.0.0/16 that no interface on this host uses yet; the bridge gets .1.</summary>
    private async Task CreateBridgeAsync()
    {
        var used = await Run("ip", [.. NamespaceArgs, "-4", "-o", "addr"]);
        var free = Enumerable.Range(1, 254).OrderBy(_ => Random.Shared.Next()).First(n => !used.Stdout.Contains($"172.31.{n}.", StringComparison.Ordinal));
        BridgeAddress = $"172.31.{free}.1";
        await Must("ip", [.. NamespaceArgs, "link", "add", "name", _bridge, "type", "bridge"]);
        await Must("ip", [.. NamespaceArgs, "addr", "add", BridgeAddress + "/24", "dev", _bridge]);
        await Must("ip", [.. NamespaceArgs, "link", "set", _bridge, "up"]);
    }

    /// <summary><c>ip -n NS</c> for a daemon inside a namespace host.</summary>
    private string[] NamespaceArgs => _host is null ? [] : ["-n", _host.Namespace];

    private async Task StartDaemonAsync(string dockerd)
    {
        string[] args =
            ["--data-root", Path.Combine(_dir, "root"), "--exec-root", Path.Combine(_dir, "exec"), "-H", "unix://" + Socket,
             "--pidfile", Path.Combine(_dir, "docker.pid"), "--iptables=false", "--ip-forward=false", "--ip-masq=false",
             "--bridge", _bridge, "--shutdown-timeout", "3"];
        var options = new ProcessOptions
        {
            Name = "dockerd:" + (_host?.Name ?? _bridge),
            // containerd and runc live in /usr/bin and /usr/sbin, which a test runner's PATH may lack.
            Environment = new Dictionary<string, string?> { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
        };
        _process = _host is null ? DroverProcess.StartExecutable(dockerd, args, options) : _host.Start(dockerd, args, options);
        Client = new DockerClient(Socket);
        await Eventually.AsyncAssert(async () =>
        {
            if (_process.HasExited) throw new EventuallyAbortedException($"dockerd exited before answering.\n{_process.FormatOutput(60)}");
            return File.Exists(Socket) && await Client.PingAsync();
        }, TimeSpan.FromSeconds(60), "dockerd answers /_ping", () => _process.FormatOutput(60));
    }

    /// <summary>docker import of a rootfs tar: /bin/busybox and a symlink per applet.</summary>
    private async Task ImportImageAsync()
    {
        var busybox = File.Exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
        var tar = Path.Combine(_dir, "rootfs.tar");
        await using (var file = File.Create(tar))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            foreach (var d in new[] { "bin/", "tmp/", "www/", "etc/", "proc/", "sys/", "dev/" })
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, d) { Mode = (UnixFileMode)0b111_101_101 | (d == "tmp/" ? UnixFileMode.OtherWrite | UnixFileMode.GroupWrite | UnixFileMode.StickyBit : 0) });
            await writer.WriteEntryAsync(busybox, "bin/busybox");
            foreach (var a in Applets)
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + a) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
        }
        await Must("docker", "-H", "unix://" + Socket, "import", tar, Image);
    }

    /// <summary>Runs the docker CLI against this daemon (an independent view of what Drover did).</summary>
    public async Task<string> DockerAsync(params string[] args)
    {
        var r = await ProcessRunner.RunAsync("docker", ["-H", "unix://" + Socket, .. args], TimeSpan.FromSeconds(60));
        if (!r.Succeeded) throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {r}");
        return r.Stdout.Trim();
    }

    /// <summary>A TCP port on 127.0.0.1 free right now (for driver tests that hand out host ports themselves).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_process is not null)
        {
            // SIGTERM: dockerd stops its containers (shutdown timeout 3 s) and its containerd.
            if (!_process.HasExited) await _process.KillAsync(UnixSignal.Term);
            try { await _process.WaitForExitAsync(TimeSpan.FromSeconds(30)); }
            catch (TimeoutException) { }
            await _process.DisposeAsync();
        }
        // Mounts dockerd left (overlays, netns files), deepest first, before the directories can go.
        foreach (var mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_dir + "/", StringComparison.Ordinal))
                     .OrderByDescending(m => m.Length))
            await Run("umount", "-l", mount);
        await Run("ip", [.. NamespaceArgs, "link", "del", _bridge]);
        try { Directory.Delete(_dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static Task<ProcessResult> Run(string file, params string[] args) => ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(60));

    /// <summary>Process of the daemon (for diagnostics).</summary>
    public string FormatOutput(int lines = 30) => _process?.FormatOutput(lines) ?? "dockerd: not started";

    private static async Task Must(string file, params string[] args)
    {
        var r = await Run(file, args);
        if (!r.Succeeded) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r}");
    }
}

/// <summary>One dockerd for every Docker test class (they run one after another in this collection).</summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public DockerDaemon Daemon { get; private set; } = null!;

    public async Task InitializeAsync() => Daemon = await DockerDaemon.StartAsync();

    public async Task DisposeAsync()
    {
        if (Daemon is not null) await Daemon.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
