using System.Net;
using System.Text.RegularExpressions;

namespace Drover.IntegrationTests.Harness.Netns;

/// <summary>
/// Several "hosts" on one machine: network namespaces joined by one switch (a bridge inside a namespace of its
/// own), each with an address 10.200.N.x/24 where N is unique on the machine while this network exists. Nothing
/// is added to the machine's own network namespace. A host can be cut off (its cable pulled: the switch port goes
/// down, so packets are lost rather than refused) and healed.
/// </summary>
/// <remarks>
/// Namespace names start with <c>drv{pid}-{N}-</c>: a crashed run's leftovers are recognisable, and the first
/// network made by a later run removes those whose process is gone. Dispose (and, as a backstop, process exit)
/// kills every process inside the namespaces by PID and deletes them.
/// </remarks>
public sealed partial class NetnsNetwork : IAsyncDisposable
{
    private const string LockDir = "/run/drover-netns";
    private static readonly object LeftoverGate = new();
    private static bool _leftoversRemoved;

    private readonly List<NetnsHost> _hosts = [];
    private readonly string _lockFile;
    private int _disposed;

    private NetnsNetwork(int subnet, string lockFile)
    {
        Subnet = subnet;
        _lockFile = lockFile;
        SwitchNamespace = Prefix + "sw";
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>N of 10.200.N.0/24.</summary>
    public int Subnet { get; }

    /// <summary>Every namespace of this network starts with this.</summary>
    public string Prefix => $"drv{Environment.ProcessId}-{Subnet}-";

    public string SwitchNamespace { get; }

    public IReadOnlyList<NetnsHost> Hosts
    {
        get
        {
            lock (_hosts) return [.. _hosts];
        }
    }

    /// <summary>Creates the switch. Fails with the reason when namespaces cannot be made here (not root, no iproute2).</summary>
    public static async Task<NetnsNetwork> CreateAsync()
    {
        if (IpCommand.Unavailable() is { } why) throw new InvalidOperationException(why);
        lock (LeftoverGate)
        {
            if (!_leftoversRemoved) RemoveLeftovers();
            _leftoversRemoved = true;
        }
        var (subnet, lockFile) = AllocateSubnet();
        var net = new NetnsNetwork(subnet, lockFile);
        try
        {
            await IpCommand.RunAsync("netns", "add", net.SwitchNamespace);
            await IpCommand.RunAsync("-n", net.SwitchNamespace, "link", "add", "br0", "type", "bridge");
            await IpCommand.RunAsync("-n", net.SwitchNamespace, "link", "set", "br0", "up");
            return net;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a host: namespace <c>{Prefix}{name}</c>, loopback up, eth0 with the next address, cabled to the switch.</summary>
    public async Task<NetnsHost> AddHostAsync(string name)
    {
        if (!HostName().IsMatch(name)) throw new ArgumentException($"host name '{name}' must be 1-12 letters, digits or '-'", nameof(name));
        int index;
        lock (_hosts)
        {
            if (_hosts.Any(h => h.Name == name)) throw new ArgumentException($"host '{name}' already exists", nameof(name));
            index = _hosts.Count + 1;
            if (index > 250) throw new InvalidOperationException("at most 250 hosts per network");
        }
        var host = new NetnsHost(this, name, Prefix + name, IPAddress.Parse($"10.200.{Subnet}.{index}"), $"p{index}");
        lock (_hosts) _hosts.Add(host);
        await IpCommand.RunAsync("netns", "add", host.Namespace);
        await IpCommand.RunAsync("-n", host.Namespace, "link", "set", "lo", "up");
        await IpCommand.RunAsync("-n", SwitchNamespace, "link", "add", host.SwitchPort, "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
        await IpCommand.RunAsync("-n", SwitchNamespace, "link", "set", host.SwitchPort, "master", "br0");
        await IpCommand.RunAsync("-n", SwitchNamespace, "link", "set", host.SwitchPort, "up");
        await IpCommand.RunAsync("-n", host.Namespace, "addr", "add", $"{host.Address}/24", "dev", "eth0");
        await IpCommand.RunAsync("-n", host.Namespace, "link", "set", "eth0", "up");
        return host;
    }

    internal Task SetPortAsync(NetnsHost host, bool up) =>
        IpCommand.RunAsync("-n", SwitchNamespace, "link", "set", host.SwitchPort, up ? "up" : "down");

    /// <summary>Kills every process inside the hosts (by PID), deletes the namespaces and frees the subnet.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        RemoveAll();
        return ValueTask.CompletedTask;
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) RemoveAll();
    }

    private void RemoveAll()
    {
        var names = Hosts.Select(h => h.Namespace).Append(SwitchNamespace);
        foreach (var ns in names) RemoveNamespace(ns);
        try { File.Delete(_lockFile); }
        catch (IOException) { }
    }

    private static void RemoveNamespace(string ns)
    {
        if (!IpCommand.ListNamespaces().Contains(ns)) return;
        // Processes keep a namespace alive after `ip netns del`: end them first, each by its own PID.
        for (var round = 0; round < 5; round++)
        {
            var pids = IpCommand.PidsIn(ns).Where(p => p != Environment.ProcessId).ToList();
            if (pids.Count == 0) break;
            foreach (var pid in pids)
            {
                try { Libc.Kill(pid, UnixSignal.Kill); }
                catch (InvalidOperationException) { }
            }
            Thread.Sleep(50 * (round + 1)); // let the kernel reap them before looking again
        }
        IpCommand.RunBlocking("netns", "del", ns);
    }

    /// <summary>Removes namespaces and subnet locks of test processes that are gone (a crashed or killed run).</summary>
    public static void RemoveLeftovers()
    {
        lock (LeftoverGate)
        {
            foreach (var ns in IpCommand.ListNamespaces())
            {
                var m = OurNamespace().Match(ns);
                if (m.Success && !ProcessAlive(int.Parse(m.Groups[1].Value))) RemoveNamespace(ns);
            }
            if (!Directory.Exists(LockDir)) return;
            foreach (var f in Directory.GetFiles(LockDir, "subnet-*"))
            {
                try
                {
                    if (!int.TryParse(File.ReadAllText(f).Trim(), out var pid) || !ProcessAlive(pid)) File.Delete(f);
                }
                catch (IOException) { }
            }
        }
    }

    private static (int Subnet, string LockFile) AllocateSubnet()
    {
        Directory.CreateDirectory(LockDir);
        var inUse = IpCommand.ListNamespaces().Select(n => OurNamespace().Match(n)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[2].Value)).ToHashSet();
        var candidates = Enumerable.Range(1, 254).Where(n => !inUse.Contains(n)).OrderBy(_ => Random.Shared.Next()).ToList();
        foreach (var n in candidates)
        {
            var path = Path.Combine(LockDir, $"subnet-{n}");
            try
            {
                // CreateNew is atomic: two test processes never get the same subnet
                using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                using var w = new StreamWriter(f);
                w.Write(Environment.ProcessId);
                return (n, path);
            }
            catch (IOException)
            {
                // taken: try the next one
            }
        }
        throw new InvalidOperationException($"no free 10.200.N.0/24 subnet (all 254 locked under {LockDir})");
    }

    private static bool ProcessAlive(int pid) => Directory.Exists($"/proc/{pid}");

    [GeneratedRegex(@"^drv(\d+)-(\d+)-")]
    private static partial Regex OurNamespace();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,11}$")]
    private static partial Regex HostName();
}
