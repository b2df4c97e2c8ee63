namespace Drover.Server.Leadership;

/// <summary>
/// Which server of the cluster leads. Only the leader writes to the store and runs the leader-only loops
/// (<see cref="LeaderGatedService"/>); followers serve reads and hand writes to <see cref="Leader"/>.
/// </summary>
public interface ILeadership
{
    /// <summary>This server leads now (and its store has caught up with its election).</summary>
    bool IsLeader { get; }

    /// <summary>host:port of the leader's HTTP API (this server's own while leading); null when none is known.</summary>
    string? Leader { get; }

    /// <summary>Why no leader is known (null while one is): shown in 503 answers.</summary>
    string? NoLeaderCause { get; }

    /// <summary>
    /// Waits until this server leads, then returns a token cancelled when this term ends (resigned, lease lost,
    /// shutting down).
    /// </summary>
    Task<CancellationToken> WaitForTermAsync(CancellationToken ct);

    /// <summary>Gives up leadership now (DELETE /v2/leader): another server takes over. False when not leading.</summary>
    Task<bool> AbdicateAsync(CancellationToken ct);

    /// <summary>host:port of every live server (each registers itself; dead ones disappear with their lease).</summary>
    Task<IReadOnlyList<string>> PeersAsync(CancellationToken ct);

    /// <summary>Called whenever this server gains leadership, before the leader-only work starts (e.g. fresh agent grace periods).</summary>
    event Action? TermStarted;
}
