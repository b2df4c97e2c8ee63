using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Discovery;
using Drover.Core.Net;
using Drover.Dns.Wire;

namespace Drover.Dns.Records;

/// <summary>
/// Turns a catalog into owner names and records (the table in Drover.Dns/README.md):
/// Consul-style service, tag, RFC 2782, node, addr and leader names; Mesos-DNS marathon names;
/// failover aliases; empty non-terminals so that no existing name sits under an NXDOMAIN.
/// </summary>
internal sealed class RecordSetBuilder(DnsOptions options)
{
    private const ushort ConsulPriority = 1, ConsulWeight = 1, MesosPriority = 0, MesosWeight = 1;

    private readonly string _domain = options.NormalizedDomain;
    private readonly string _dc = options.NormalizedDatacenter;
    private readonly Dictionary<string, NameBuilder> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPAddress> _nodes = new(StringComparer.Ordinal);

    public Dictionary<string, DnsNameEntry> Build(CatalogSnapshot snapshot, IReadOnlyDictionary<string, FailoverChoice> failover)
    {
        Touch(_domain);
        if (options.UdpListen is { } listen && !listen.Address.Equals(IPAddress.Any) && !listen.Address.Equals(IPAddress.IPv6Any))
        {
            AddAddress("ns." + _domain, listen.Address, options.NodeTtl);
        }

        AddNodes(snapshot);
        AddLeader(snapshot);
        var answerable = snapshot.Instances.Where(i => FailoverResolver.IsAnswerable(i, options.OnlyPassing));
        foreach (var instance in answerable)
        {
            AddInstance(instance);
        }

        foreach (var choice in failover.Values)
        {
            var alias = DnsName.Normalize(choice.Alias);
            if (!IsLabel(alias))
            {
                continue;
            }

            foreach (var instance in choice.Instances)
            {
                AddConsulService(alias, instance, Target(instance));
            }
        }

        AddEmptyNonTerminals();
        return _names.ToDictionary(
            kv => kv.Key,
            kv => new DnsNameEntry(kv.Key, kv.Value.Ttl, [.. kv.Value.A], [.. kv.Value.Aaaa], [.. kv.Value.Srv], kv.Key == _domain),
            StringComparer.Ordinal);
    }

    private void AddNodes(CatalogSnapshot snapshot)
    {
        foreach (var node in snapshot.Nodes)
        {
            var name = DnsName.Normalize(node.Name);
            if (!DnsName.IsServable(name) || !IPAddress.TryParse(node.Address, out var address))
            {
                continue;
            }

            _nodes.TryAdd(name, address);
            AddAddress($"{name}.node.{_domain}", address, options.NodeTtl);
            AddAddress($"{name}.node.{_dc}.{_domain}", address, options.NodeTtl);
        }
    }

    private void AddLeader(CatalogSnapshot snapshot)
    {
        var (host, port) = SplitHostPort(snapshot.Leader);
        var address = IPAddress.TryParse(snapshot.LeaderAddress, out var a) ? a
            : IPAddress.TryParse(host, out var b) ? b : null;
        if (address is null)
        {
            return;
        }

        var leader = "leader." + _domain;
        AddAddress(leader, address, options.NodeTtl);
        if (port > 0)
        {
            AddSrv("_leader._tcp." + _domain, new DnsSrvRecord(MesosPriority, MesosWeight, (ushort)port, leader), options.NodeTtl);
        }
    }

    private void AddInstance(ServiceInstance instance)
    {
        var service = DnsName.Normalize(instance.Service);
        if (!IsLabel(service))
        {
            return;
        }

        var target = Target(instance);
        AddConsulService(service, instance, target);
        foreach (var rawTag in instance.Tags)
        {
            var tag = DnsName.Normalize(rawTag);
            if (!IsLabel(tag))
            {
                continue; // tags like "traefik.enable=true" cannot be DNS labels
            }

            var address = Address(instance);
            foreach (var zone in Zones())
            {
                var tagged = $"{tag}.{service}.service.{zone}";
                AddAddress(tagged, address, options.ServiceTtl);
                AddConsulSrv(tagged, instance, target);
            }

            // RFC 2782 with a real tag; "_tcp" (below) means no tag filter, as in Consul
            if (tag != "tcp")
            {
                foreach (var rfc in Rfc2782Names(service, tag))
                {
                    AddAddress(rfc, address, options.ServiceTtl);
                    AddConsulSrv(rfc, instance, target);
                }
            }
        }

        if (instance.AppId is not null)
        {
            AddMarathon(service, instance);
        }
    }

    /// <summary>&lt;svc&gt;.service[.dc].domain and _&lt;svc&gt;._tcp[.service][.dc].domain.</summary>
    private void AddConsulService(string service, ServiceInstance instance, (string Name, IPAddress? Address) target)
    {
        var address = Address(instance);
        foreach (var zone in Zones())
        {
            var name = $"{service}.service.{zone}";
            AddAddress(name, address, options.ServiceTtl);
            AddConsulSrv(name, instance, target);
        }

        foreach (var rfc in Rfc2782Names(service, "tcp"))
        {
            AddAddress(rfc, address, options.ServiceTtl);
            AddConsulSrv(rfc, instance, target);
        }
    }

    private void AddConsulSrv(string name, ServiceInstance instance, (string Name, IPAddress? Address) target)
    {
        if (instance.Port is > 0 and <= ushort.MaxValue)
        {
            AddSrv(name, new DnsSrvRecord(ConsulPriority, ConsulWeight, (ushort)instance.Port, target.Name), options.ServiceTtl);
        }
    }

    /// <summary>
    /// Mesos-DNS: &lt;app&gt;.marathon.domain A, a per-task name A, and _&lt;app&gt;._tcp.marathon.domain
    /// SRV (priority 0, weight 1) per port of the task, pointing at the per-task name.
    /// </summary>
    private void AddMarathon(string service, ServiceInstance instance)
    {
        var address = Address(instance);
        var zone = "marathon." + _domain;
        AddAddress($"{service}.{zone}", address, options.ServiceTtl);
        var task = $"{MesosNames.TaskLabel(service, instance.Id, instance.Node)}.{zone}";
        AddAddress(task, address, options.ServiceTtl);
        var ports = instance.Ports.Count > 0 ? instance.Ports : instance.Port > 0 ? [instance.Port] : [];
        foreach (var port in ports.Where(p => p is > 0 and <= ushort.MaxValue))
        {
            AddSrv($"_{service}._tcp.{zone}", new DnsSrvRecord(MesosPriority, MesosWeight, (ushort)port, task), options.ServiceTtl);
        }
    }

    /// <summary>
    /// The SRV target: the node's name when the instance uses the node's address (the A record
    /// of the node goes in ADDITIONAL), else &lt;hex-ip&gt;.addr.dc.domain as newer Consul does,
    /// else (an address that is a host name) that host name itself.
    /// </summary>
    private (string Name, IPAddress? Address) Target(ServiceInstance instance)
    {
        var address = Address(instance);
        var node = DnsName.Normalize(instance.Node);
        if (address is not null && _nodes.TryGetValue(node, out var nodeAddress) && nodeAddress.Equals(address))
        {
            return ($"{node}.node.{_dc}.{_domain}", address);
        }

        if (address is not null)
        {
            var name = $"{Convert.ToHexStringLower(address.GetAddressBytes())}.addr.{_dc}.{_domain}";
            AddAddress(name, address, options.NodeTtl);
            return (name, address);
        }

        var host = DnsName.Normalize(instance.Address.Length > 0 ? instance.Address : instance.Node);
        return (host, null);
    }

    /// <summary>The instance's own address, else its node's (as Consul); null when neither is an IP.</summary>
    private IPAddress? Address(ServiceInstance instance)
    {
        if (IPAddress.TryParse(instance.Address, out var own))
        {
            return own.IsIPv4MappedToIPv6 ? own.MapToIPv4() : own;
        }

        return instance.Address.Length == 0 && _nodes.TryGetValue(DnsName.Normalize(instance.Node), out var node) ? node : null;
    }

    private IEnumerable<string> Zones() => [_domain, $"{_dc}.{_domain}"];

    private IEnumerable<string> Rfc2782Names(string service, string tag) =>
    [
        $"_{service}._{tag}.service.{_domain}",
        $"_{service}._{tag}.service.{_dc}.{_domain}",
        $"_{service}._{tag}.{_domain}",
        $"_{service}._{tag}.{_dc}.{_domain}",
    ];

    private void AddAddress(string name, IPAddress? address, uint ttl)
    {
        if (address is null || !DnsName.IsServable(name))
        {
            return;
        }

        var entry = Entry(name, ttl);
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var list = v6 ? entry.Aaaa : entry.A;
        if (v6 ? NameBuilder.AddOnce(list, ref entry.SeenAaaa, address) : NameBuilder.AddOnce(list, ref entry.SeenA, address))
        {
            list.Add(address);
        }
    }

    private void AddSrv(string name, DnsSrvRecord srv, uint ttl)
    {
        if (!DnsName.IsServable(name))
        {
            return;
        }

        var entry = Entry(name, ttl);
        if (NameBuilder.AddOnce(entry.Srv, ref entry.SeenSrv, srv))
        {
            entry.Srv.Add(srv);
        }
    }

    private void Touch(string name) => Entry(name, options.NodeTtl);

    private NameBuilder Entry(string name, uint ttl)
    {
        if (!_names.TryGetValue(name, out var entry))
        {
            entry = new NameBuilder(ttl);
            _names.Add(name, entry);
        }

        return entry;
    }

    /// <summary>
    /// Every ancestor of a name up to the apex exists (NOERROR, no data): an NXDOMAIN for
    /// "service.drover" would tell RFC 8020 resolvers that nothing below it exists.
    /// </summary>
    private void AddEmptyNonTerminals()
    {
        var suffix = "." + _domain;
        foreach (var name in _names.Keys.ToList())
        {
            var current = name;
            while (current.EndsWith(suffix, StringComparison.Ordinal))
            {
                current = current[(current.IndexOf('.', StringComparison.Ordinal) + 1)..];
                if (!_names.ContainsKey(current))
                {
                    Touch(current);
                }
            }
        }
    }

    private static bool IsLabel(string text) => text.Length is > 0 and <= DnsName.MaxLabelLength && !text.Contains('.') && DnsName.IsServable(text);

    private static (string? Host, int Port) SplitHostPort(string? hostPort) =>
        string.IsNullOrEmpty(hostPort) ? (null, 0)
        : HostPort.TrySplit(hostPort, out var hp, out _, defaultPort: 0) && hp.Host.Length > 0 ? (hp.Host, hp.Port)
        : (hostPort, 0);

    private sealed class NameBuilder(uint ttl)
    {
        public uint Ttl { get; } = ttl;
        public List<IPAddress> A { get; } = [];
        public List<IPAddress> Aaaa { get; } = [];
        public List<DnsSrvRecord> Srv { get; } = [];
        // duplicate checks: a scan while small, a set once a name has many records
        public HashSet<IPAddress>? SeenA;
        public HashSet<IPAddress>? SeenAaaa;
        public HashSet<DnsSrvRecord>? SeenSrv;

        /// <summary>True when <paramref name="item"/> is not in <paramref name="list"/> yet (the caller adds it).</summary>
        public static bool AddOnce<T>(List<T> list, ref HashSet<T>? seen, T item)
        {
            const int ScanLimit = 16;
            if (seen is null)
            {
                if (list.Contains(item))
                {
                    return false;
                }

                if (list.Count >= ScanLimit)
                {
                    seen = [.. list];
                    seen.Add(item);
                }

                return true;
            }

            return seen.Add(item);
        }
    }
}
