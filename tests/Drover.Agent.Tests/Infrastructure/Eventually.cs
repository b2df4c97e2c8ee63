using System.Diagnostics;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>Waits for conditions with a generous deadline instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (!condition())
        {
            if (deadline.Elapsed > limit) Assert.Fail($"timed out after {limit.TotalSeconds:0.#}s waiting for: {what}");
            await Task.Delay(10);
        }
    }

    public static async Task<T> Value<T>(Func<T?> probe, string what, TimeSpan? timeout = null) where T : class
    {
        T? value = null;
        await True(() => (value = probe()) is not null, what, timeout);
        return value!;
    }

    public static async Task True(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (!await condition())
        {
            if (deadline.Elapsed > limit) Assert.Fail($"timed out after {limit.TotalSeconds:0.#}s waiting for: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Awaits a task, failing the test (instead of hanging) after the deadline.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        try { return await task.WaitAsync(timeout ?? DefaultTimeout); }
        catch (TimeoutException) { Assert.Fail($"timed out waiting for: {what}"); throw; }
    }

    public static async Task Within(Task task, string what, TimeSpan? timeout = null)
    {
        try { await task.WaitAsync(timeout ?? DefaultTimeout); }
        catch (TimeoutException) { Assert.Fail($"timed out waiting for: {what}"); throw; }
    }
}
