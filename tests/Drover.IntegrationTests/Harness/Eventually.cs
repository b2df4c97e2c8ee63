using System.Diagnostics;

namespace Drover.IntegrationTests.Harness;

/// <summary>Thrown when a condition did not become true before its deadline.</summary>
public sealed class EventuallyFailedException(string message, Exception? lastError = null) : Exception(message, lastError);

/// <summary>Throw from a condition to stop polling at once (e.g. the process under test died).</summary>
public sealed class EventuallyAbortedException(string message) : Exception(message);

/// <summary>
/// Polls a condition with short intervals until it holds or a (generous) deadline passes — the way to
/// wait for a distributed system to converge, instead of fixed sleeps.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Polls <paramref name="condition"/> until it returns true. An exception from the condition counts as
    /// "not yet" (the last one is reported), except <see cref="EventuallyAbortedException"/>, which ends the wait.
    /// </summary>
    /// <param name="diagnostics">Extra text for the failure message, e.g. a process's captured output.</param>
    public static async Task AsyncAssert(Func<Task<bool>> condition, TimeSpan timeout, string because, Func<string>? diagnostics = null)
    {
        await GetAsync<object>(async () => await condition() ? Sentinel : null, timeout, because, diagnostics);
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a non-null value, and returns that value.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string because, Func<string>? diagnostics = null)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        var interval = FirstInterval;
        Exception? lastError = null;
        var attempts = 0;
        while (true)
        {
            attempts++;
            var remaining = timeout - clock.Elapsed;
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    var value = await probe().WaitAsync(remaining);
                    if (value is not null) return value;
                }
                catch (EventuallyAbortedException)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    lastError = ex;
                }
            }

            if (clock.Elapsed >= timeout)
            {
                var message = $"Expected within {timeout.TotalSeconds:0.#}s: {because} (still false after {attempts} attempts, {clock.Elapsed.TotalSeconds:0.#}s)";
                if (lastError is not null) message += $"\nlast error: {lastError.GetType().Name}: {lastError.Message}";
                if (diagnostics is not null) message += "\n" + SafeDiagnostics(diagnostics);
                throw new EventuallyFailedException(message, lastError);
            }

            var left = timeout - clock.Elapsed;
            await Task.Delay(left < interval ? left : interval);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
        }
    }

    private static readonly object Sentinel = new();

    private static string SafeDiagnostics(Func<string> diagnostics)
    {
        try
        {
            return diagnostics();
        }
        catch (Exception ex)
        {
            return $"(diagnostics failed: {ex.Message})";
        }
    }
}
