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

    public static ForwardingDecision Decide(string method, bool isLeader, string? leader, string self, string? noLeaderCause, FollowerWrites mode, string? forwardedBy)
    {
        if (!IsWrite(method) || isLeader) return new Serve();
        if (leader is null || leader == self)
            return new NoLeader($"no leader: {noLeaderCause ?? "this server has just lost leadership and no other server is elected yet"}");
        // One hop only: a leader change while the request travelled must not bounce it between followers.
        if (forwardedBy is not null)
            return new NoLeader($"no leader: {forwardedBy} forwarded this write here as the leader, but this server no longer leads (the leader is now {leader}); try again");
        return mode == FollowerWrites.Redirect ? new Redirect(leader) : new Forward(leader);
    }

    private static bool HttpMethodsEqual(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
