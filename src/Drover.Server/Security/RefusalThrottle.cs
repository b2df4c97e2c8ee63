namespace Drover.Server.Security;

/// <summary>
/// At most one log line per address and window: an agent with a wrong token retries for as long as it runs, and its
/// refusals must not drown the rest of the log. The first refusal is logged at once; the ones after it within the
/// window are counted and the count goes out with the next line.
/// </summary>
public sealed class RefusalThrottle(TimeProvider time, TimeSpan window, int maxAddresses = 10_000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset LoggedAt, int Suppressed)> _byAddress = new(StringComparer.Ordinal);

    /// <summary>Whether to log a refusal of <paramref name="address"/> now; if so, how many went unlogged since the last line.</summary>
    public bool ShouldLog(string address, out int suppressed)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_byAddress.TryGetValue(address, out var seen) && now - seen.LoggedAt < window)
            {
                _byAddress[address] = seen with { Suppressed = seen.Suppressed + 1 };
                suppressed = 0;
                return false;
            }
            if (_byAddress.Count >= maxAddresses) Prune(now);
            suppressed = seen.Suppressed;
            _byAddress[address] = (now, 0);
            return true;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, seen) in _byAddress.ToList())
        {
            if (now - seen.LoggedAt >= window) _byAddress.Remove(address);
        }
        if (_byAddress.Count >= maxAddresses) _byAddress.Clear(); // a flood from that many addresses: forget rather than grow
    }
}
