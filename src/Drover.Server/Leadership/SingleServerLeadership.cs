using Drover.Server.Http;

namespace Drover.Server.Leadership;

/// <summary>One server on its own store (SQLite or memory): always the leader, no election (as a Nomad dev agent).</summary>
public sealed class SingleServerLeadership(ServerIdentity identity) : ILeadership
{
    public bool IsLeader => true;

    public string? Leader => identity.AdvertisedHostPort;

    public string? NoLeaderCause => null;

    public event Action? TermStarted { add { } remove { } }

    public Task<CancellationToken> WaitForTermAsync(CancellationToken ct) => Task.FromResult(CancellationToken.None);

    // Marathon without HA answers abdication by restarting itself; a lone server has nobody to hand over to.
    public Task<bool> AbdicateAsync(CancellationToken ct) =>
        throw new ApiException(400, "this server runs without --etcd: it is the only server, so there is nobody to abdicate to");

    public Task<IReadOnlyList<string>> PeersAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([identity.AdvertisedHostPort]);
}
