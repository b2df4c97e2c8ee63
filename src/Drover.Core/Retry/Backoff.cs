namespace Drover.Core.Retry;

/// <summary>
/// Capped exponential backoff on an injectable clock: every retry loop of Drover (agent ↔ server, watch loops,
/// the CLI's event stream) waits with one of these, and Marathon's launch delay grows with <see cref="Grow"/>.
/// Jitter (±<c>jitter</c>, 20% by default) keeps many agents from retrying in step after a server restart.
/// </summary>
public sealed class Backoff(TimeProvider time, TimeSpan initial, TimeSpan max, double jitter = 0.2)
{
    private int _failures;

    /// <summary>The delay before the next attempt: initial × 2^(failures so far), capped at max, with jitter.</summary>
    public TimeSpan Next()
    {
        var ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures++, 30)));
        return TimeSpan.FromMilliseconds(jitter > 0 ? ms * (1 - jitter + 2 * jitter * Random.Shared.NextDouble()) : ms);
    }

    /// <summary>After a success: the next failure waits <c>initial</c> again.</summary>
    public void Reset() => _failures = 0;

    /// <summary>True between a failure and the next <see cref="Reset"/>.</summary>
    public bool Failing => _failures > 0;

    public Task DelayAsync(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, time, ct);

    /// <summary>Waits <see cref="Next"/>.</summary>
    public Task WaitAsync(CancellationToken ct) => DelayAsync(Next(), ct);

    /// <summary>One step of a growing delay: <paramref name="current"/> × <paramref name="factor"/> (at least 1), within 0..<paramref name="max"/>.</summary>
    public static double Grow(double current, double factor, double max) => Math.Clamp(current * Math.Max(1, factor), 0, Math.Max(0, max));
}
