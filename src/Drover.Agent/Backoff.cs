namespace Drover.Agent;

/// <summary>Capped exponential backoff with ±20% jitter, on an injectable clock.</summary>
internal sealed class Backoff(TimeProvider time, TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public TimeSpan Next()
    {
        var exp = Math.Min(_failures++, 20);
        var ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exp));
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    public void Reset() => _failures = 0;

    public bool Failing => _failures > 0;

    public Task DelayAsync(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, time, ct);
}
