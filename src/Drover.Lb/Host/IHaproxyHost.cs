namespace Drover.Lb.Host;

/// <summary>The result of "haproxy -c": valid, or HAProxy's own words on what is wrong.</summary>
public sealed record ConfigCheck(bool Valid, string Output);

/// <summary>
/// The HAProxy process as the supervisor drives it: check a config file, start the master, talk to its master CLI,
/// stop it. A seam so the supervisor's timing (hung reloads, slow starts) is tested with fake time.
/// </summary>
public interface IHaproxyHost : IAsyncDisposable
{
    /// <summary>"haproxy -c -f path": never touches the running process.</summary>
    Task<ConfigCheck> CheckAsync(string configPath, CancellationToken ct);

    /// <summary>Starts the master (or, attached to an HAProxy someone else runs, does nothing).</summary>
    Task StartAsync(string configPath, CancellationToken ct);

    /// <summary>One command on the master CLI ("show proc", "reload"); the whole answer.</summary>
    Task<string> MasterCommandAsync(string command, CancellationToken ct);

    /// <summary>
    /// Before <see cref="StartAsync"/>: takes over an HAProxy master an earlier lb left running on the same files, if
    /// there is one that is really ours. Null when this host never adopts (attached, no pid file).
    /// </summary>
    AdoptDecision? TryAdopt(string configPath) => null;

    /// <summary>Why the master is not running when it should be (it exited), else null.</summary>
    string? ExitReason { get; }
}
