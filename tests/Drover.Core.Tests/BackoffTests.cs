using Drover.Core.Retry;

namespace Drover.Core.Tests;

public sealed class BackoffTests
{
    [Fact]
    public void Delays_double_up_to_the_cap_and_start_over_after_a_reset()
    {
        var b = new Backoff(TimeProvider.System, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0);
        Assert.False(b.Failing);

        Assert.Equal([100, 200, 400, 800, 1000, 1000], Enumerable.Range(0, 6).Select(_ => b.Next().TotalMilliseconds));
        Assert.True(b.Failing);
        b.Reset();
        Assert.False(b.Failing);
        Assert.Equal(100, b.Next().TotalMilliseconds);
    }

    [Fact]
    public void Jitter_stays_within_its_share_of_the_delay()
    {
        var b = new Backoff(TimeProvider.System, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), jitter: 0.2);
        for (var i = 0; i < 200; i++) Assert.InRange(b.Next().TotalMilliseconds, 800, 1200);
    }

    [Fact]
    public void A_long_failure_streak_does_not_overflow()
    {
        var b = new Backoff(TimeProvider.System, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5), jitter: 0);
        for (var i = 0; i < 1000; i++) b.Next();
        Assert.Equal(TimeSpan.FromMinutes(5), b.Next());
    }

    [Theory]
    [InlineData(1, 1.15, 3600, 1.15)]
    [InlineData(10, 2, 15, 15)]
    [InlineData(10, 0.5, 100, 10)] // a factor below 1 never shrinks the delay (Marathon requires >= 1)
    [InlineData(10, 2, -1, 0)]
    public void Grow_multiplies_within_the_cap(double current, double factor, double max, double expected) =>
        Assert.Equal(expected, Backoff.Grow(current, factor, max), 6);
}
