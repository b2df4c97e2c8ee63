namespace Drover.Server.Storage;

/// <summary>
/// Whether this server's copy of the state can be trusted to be current. With etcd, a server that cannot reach a
/// quorum keeps serving reads, DNS and the event stream from the last state it saw, flagged stale
/// (X-Drover-Stale, X-Consul-KnownLeader: false, as Consul's stale reads), and refuses writes at once with the cause.
/// </summary>
public interface IStoreHealth
{
    /// <summary>True while the store has no quorum to confirm this copy against.</summary>
    bool IsStale { get; }

    /// <summary>Why (etcd's own words, e.g. "etcd has no leader (quorum lost: 2 of 3 members unreachable) …"); null while fresh.</summary>
    string? StaleCause { get; }

    /// <summary>When the store last confirmed a quorum (now, for a store that needs none).</summary>
    DateTimeOffset LastContact { get; }

    /// <summary>Why nobody can lead while the store is stale (the cause in 503s and /v2/leader's 404).</summary>
    public static string NoQuorum(string staleCause) =>
        $"the state store has lost its quorum, so no server can lead: {staleCause}; writes resume when it returns";
}

/// <summary>The embedded SQLite store: one file on this machine, never stale.</summary>
public sealed class LocalStoreHealth(TimeProvider time) : IStoreHealth
{
    public bool IsStale => false;
    public string? StaleCause => null;
    public DateTimeOffset LastContact => time.GetUtcNow();
}
