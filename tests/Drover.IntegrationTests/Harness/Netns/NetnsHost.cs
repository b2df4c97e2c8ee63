using System.Net;

namespace Drover.IntegrationTests.Harness.Netns;

/// <summary>One "host" of a <see cref="NetnsNetwork"/>: a network namespace with its own address, cabled to the switch.</summary>
public sealed class NetnsHost
{
    private readonly NetnsNetwork _network;

    internal NetnsHost(NetnsNetwork network, string name, string ns, IPAddress address, string switchPort)
    {
        _network = network;
        Name = name;
        Namespace = ns;
        Address = address;
        SwitchPort = switchPort;
    }

    /// <summary>Short name given by the test (h1, server, …).</summary>
    public string Name { get; }

    /// <summary>Full namespace name (for <c>ip netns exec</c>).</summary>
    public string Namespace { get; }

    public IPAddress Address { get; }

    /// <summary>The switch side of this host's cable.</summary>
    internal string SwitchPort { get; }

    public bool IsCut { get; private set; }

    /// <summary>Pulls the cable: every packet to or from the host is lost (connections hang, they are not refused).</summary>
    public async Task CutAsync()
    {
        await _network.SetPortAsync(this, up: false);
        IsCut = true;
    }

    /// <summary>Plugs the cable back in.</summary>
    public async Task HealAsync()
    {
        await _network.SetPortAsync(this, up: true);
        IsCut = false;
    }

    /// <summary>
    /// Starts a long-running process inside the host. <c>nsenter --net</c> enters only the network namespace and execs
    /// the program (its PID is the program's own); unlike <c>ip netns exec</c> it leaves the mounts alone, so the
    /// process sees the machine's /sys/fs/cgroup as it would on a host of its own (the agent's cgroups, dockerd).
    /// </summary>
    public DroverProcess Start(string fileName, IEnumerable<string> args, ProcessOptions? options = null) =>
        DroverProcess.StartExecutable(NsenterPath, [$"--net=/run/netns/{Namespace}", fileName, .. args],
            (options ?? new ProcessOptions()) with { Name = options?.Name ?? $"{Name}:{Path.GetFileName(fileName)}" });

    /// <summary>Starts <c>dotnet drover.dll args…</c> inside the host.</summary>
    public DroverProcess StartDrover(IEnumerable<string> args, string? name = null) =>
        Start(DroverProcess.DotnetPath, [DroverProcess.CliDllPath, .. args], new ProcessOptions { Name = name ?? $"{Name}:drover" });

    /// <summary>Runs a command to completion inside the host.</summary>
    public Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout) =>
        ProcessRunner.RunAsync(NsenterPath, [$"--net=/run/netns/{Namespace}", fileName, .. args], timeout);

    private static string NsenterPath { get; } = File.Exists("/usr/bin/nsenter") ? "/usr/bin/nsenter" : "nsenter";

    /// <summary>Runs the drover CLI to completion inside the host.</summary>
    public Task<ProcessResult> RunDroverAsync(TimeSpan timeout, params string[] args) =>
        RunAsync(DroverProcess.DotnetPath, [DroverProcess.CliDllPath, .. args], timeout);

    /// <summary>An HttpClient whose connections start from this host (the test process itself stays where it is).</summary>
    public HttpClient CreateHttpClient(Uri baseAddress, TimeSpan? timeout = null) =>
        NetnsNative.CreateHttpClient(Namespace, baseAddress, timeout ?? Timeout.InfiniteTimeSpan);

    public override string ToString() => $"{Name} ({Address}, netns {Namespace}{(IsCut ? ", cut off" : "")})";
}
