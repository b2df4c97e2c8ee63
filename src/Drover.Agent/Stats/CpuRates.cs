namespace Drover.Agent.Stats;

/// <summary>
/// Turns CPU time counters into a rate (CPUs busy on average) between two readings of the same key, as `docker stats`
/// does with its previous sample. Readings older than <see cref="MaxAge"/> are forgotten: a rate over an hour says
/// little about now.
/// </summary>
public sealed class CpuRates
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (DateTimeOffset At, double Seconds)> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Whether <paramref name="key"/> has a reading recent enough to give a rate.</summary>
    public bool HasRecent(string key, DateTimeOffset now)
    {
        lock (_gate) return _last.TryGetValue(key, out var last) && now - last.At <= MaxAge && now > last.At;
    }

    /// <summary>Records a reading of <paramref name="cpuSeconds"/> (a counter) and returns the rate since the previous one, if any.</summary>
    public (double Rate, double WindowSeconds)? Observe(string key, DateTimeOffset at, double cpuSeconds)
    {
        lock (_gate)
        {
            var found = _last.TryGetValue(key, out var last);
            _last[key] = (at, cpuSeconds);
            if (!found || at - last.At > MaxAge) return null;
            var window = (at - last.At).TotalSeconds;
            // A counter that went down is a new task or cgroup under the same key: no rate from that pair.
            if (window <= 0 || cpuSeconds < last.Seconds) return null;
            return (Math.Round((cpuSeconds - last.Seconds) / window, 4), Math.Round(window, 3));
        }
    }

    /// <summary>Drops readings older than <see cref="MaxAge"/>, so ended tasks do not pile up.</summary>
    public void Prune(DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var key in _last.Where(kv => now - kv.Value.At > MaxAge).Select(kv => kv.Key).ToList()) _last.Remove(key);
        }
    }
}
