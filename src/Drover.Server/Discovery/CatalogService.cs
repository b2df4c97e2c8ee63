using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Drover.Core.Discovery;
using Drover.Server.Http;
using Drover.State;

namespace Drover.Server.Discovery;

/// <summary>A built view and the store indexes at which its parts last changed (for X-Consul-Index and blocking queries).</summary>
public sealed record CatalogState(DiscoveryView View, long ChangedIndex, ImmutableDictionary<string, long> ServiceIndexes)
{
    /// <summary>When the service's instances last changed; for a service that does not exist, when anything last changed.</summary>
    public long ServiceIndex(string name) => ServiceIndexes.TryGetValue(name, out var i) ? i : ChangedIndex;
}

/// <summary>
/// The current discovery catalog, built once per store index from the latest snapshot (and only when someone asks),
/// with change tracking: <see cref="CatalogState.ChangedIndex"/> moves only when the catalog's inputs changed, so
/// writes that do not touch discovery (a KV put, a staged task) wake no catalog watcher.
/// </summary>
public sealed class CatalogService(IStateStore store, ServerIdentity identity, ServerOptions options)
{
    private readonly object _gate = new();
    private CatalogState? _state;
    private LocalNode? _local;

    /// <summary>The catalog at the store's current index.</summary>
    public CatalogSnapshot Current => State.View.Catalog;

    public DiscoveryView View => State.View;

    public CatalogState State => StateAt(store.Current);

    /// <summary>The catalog state for <paramref name="snapshot"/> (cached for the newest index).</summary>
    public CatalogState StateAt(StateSnapshot snapshot)
    {
        var state = Volatile.Read(ref _state);
        if (state is not null && state.View.Index == snapshot.Index) return state;
        lock (_gate)
        {
            state = _state;
            if (state is not null && state.View.Index >= snapshot.Index)
                return state.View.Index == snapshot.Index ? state : Next(null, snapshot); // an older snapshot: not cached
            var next = Next(state, snapshot);
            Volatile.Write(ref _state, next);
            return next;
        }
    }

    private CatalogState Next(CatalogState? previous, StateSnapshot snapshot)
    {
        var view = CatalogBuilder.Build(snapshot, Local(), previous?.View);
        if (previous is null)
        {
            var initial = view.ServiceSignatures.Keys.ToImmutableDictionary(k => k, _ => snapshot.Index, StringComparer.Ordinal);
            return new CatalogState(view, snapshot.Index, initial);
        }
        var changed = view.Signature == previous.View.Signature ? previous.ChangedIndex : snapshot.Index;
        var indexes = ImmutableDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var (name, sig) in view.ServiceSignatures)
        {
            var same = previous.View.ServiceSignatures.TryGetValue(name, out var old) && old == sig;
            indexes[name] = same ? previous.ServiceIndex(name) : snapshot.Index;
        }
        return new CatalogState(view, changed, indexes.ToImmutable());
    }

    /// <summary>
    /// Yields the catalog whenever its content changes (store writes that do not change discovery are skipped),
    /// starting with the current one when its index is above <paramref name="sinceIndex"/>.
    /// </summary>
    public async IAsyncEnumerable<CatalogSnapshot> WatchAsync(long sinceIndex, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var seen = sinceIndex; // the caller has the catalog as of this index
        await foreach (var snapshot in store.WatchAsync(sinceIndex, ct).ConfigureAwait(false))
        {
            var state = StateAt(snapshot);
            if (state.ChangedIndex <= seen) continue;
            seen = state.View.Index;
            yield return state.View.Catalog;
        }
    }

    private LocalNode Local()
    {
        if (_local is { } l && l.Leader == identity.HostPort) return l;
        var address = LocalAddress(options);
        return _local = new LocalNode(NodeName(), address, identity.ClusterId, identity.HostPort);
    }

    /// <summary>The server's node name: the machine's host name, lowercased (Consul uses the hostname too).</summary>
    public static string NodeName() => System.Net.Dns.GetHostName().ToLowerInvariant() is { Length: > 0 } n ? n : "drover-server";

    /// <summary>The listen IP, or when listening on every interface, the first non-loopback IPv4 address (127.0.0.1 when none).</summary>
    private static string LocalAddress(ServerOptions options)
    {
        var ep = options.ListenEndPoint();
        if (!ep.Address.Equals(IPAddress.Any) && !ep.Address.Equals(IPAddress.IPv6Any)) return ep.Address.ToString();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                {
                    if (a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address)) return a.Address.ToString();
                }
            }
        }
        catch (NetworkInformationException)
        {
            // no interface list: fall back to loopback
        }
        return "127.0.0.1";
    }
}
