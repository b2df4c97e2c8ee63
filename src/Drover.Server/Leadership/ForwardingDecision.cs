namespace Drover.Server.Leadership;

/// <summary>What a server does with one request, given who leads (pure: unit-tested without sockets).</summary>
public abstract record ForwardingDecision
{
    private ForwardingDecision() { }

    /// <summary>Answer here: a read (any server serves reads from its store copy), or this server leads.</summary>
    public sealed record Serve : ForwardingDecision;

    /// <summary>Proxy to the leader at host:port.</summary>
    public sealed record Forward(string Leader) : ForwardingDecision;

    /// <summary>307 to the leader at host:port.</summary>
    public sealed record Redirect(string Leader) : ForwardingDecision;

    /// <summary>503: nobody to hand the write to; <see cref="Message"/> names the cause.</summary>
    public sealed record NoLeader(string Message) : ForwardingDecision;

    public const string ForwardedByHeader = "X-Drover-Forwarded-By";

    /// <summary>Writes (anything but GET/HEAD/OPTIONS, agent heartbeats and status reports included) belong to the leader.</summary>
    public static bool IsWrite(string method) =>
        !(HttpMethodsEqual(method, "GET") || HttpMethodsEqual(method, "HEAD") || HttpMethodsEqual(method, "OPTIONS"));

    /// <summary>
    /// Reads only the leader can answer, because they show what lives in the leader's memory: the launch queue (its
    /// delays and offer statistics) and the registered load balancers. Forwarded like writes, as Nomad and Consul
    /// forward reads to the leader by default.
    /// </summary>
    public static bool IsLeaderRead(string method, string path) =>
        !IsWrite(method) && (path.Equals("/v2/queue", StringComparison.OrdinalIgnoreCase) || path.Equals("/v1/drover/lb/instances", StringComparison.OrdinalIgnoreCase));

    public static ForwardingDecision Decide(string method, bool isLeader, string? leader, string self, string? noLeaderCause, FollowerWrites mode, string? forwardedBy,
        string path = "")
    {
        if (!(IsWrite(method) || IsLeaderRead(method, path)) || isLeader) return new Serve();
        if (leader is null || leader == self)
            return new NoLeader($"no leader: {noLeaderCause ?? "this server has just lost leadership and no other server is elected yet"}");
        // One hop only: a leader change while the request travelled must not bounce it between followers.
        if (forwardedBy is not null)
            return new NoLeader($"no leader: {forwardedBy} forwarded this write here as the leader, but this server no longer leads (the leader is now {leader}); try again");
        return mode == FollowerWrites.Redirect ? new Redirect(leader) : new Forward(leader);
    }

    private static bool HttpMethodsEqual(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
