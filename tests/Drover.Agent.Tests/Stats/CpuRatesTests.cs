using Drover.Agent.Stats;

namespace Drover.Agent.Tests.Stats;

public sealed class CpuRatesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-30T09:00:00Z");

    [Fact]
    public void The_rate_is_cpu_seconds_per_second_between_two_readings()
    {
        var rates = new CpuRates();
        Assert.Null(rates.Observe("t", T0, 10));
        Assert.True(rates.HasRecent("t", T0.AddSeconds(1)));
        Assert.Equal((1.5, 2.0), rates.Observe("t", T0.AddSeconds(2), 13));
    }

    [Fact]
    public void A_counter_that_goes_down_or_a_stale_reading_gives_no_rate()
    {
        var rates = new CpuRates();
        rates.Observe("t", T0, 10);
        Assert.Null(rates.Observe("t", T0.AddSeconds(1), 2)); // a new cgroup under the same key
        Assert.Null(rates.Observe("t", T0.AddSeconds(1) + CpuRates.MaxAge + TimeSpan.FromSeconds(1), 5));
        Assert.False(rates.HasRecent("t", T0.AddHours(1)));
    }

    [Fact]
    public void Prune_forgets_old_readings()
    {
        var rates = new CpuRates();
        rates.Observe("old", T0, 1);
        rates.Observe("new", T0.AddMinutes(2), 1);
        rates.Prune(T0.AddMinutes(2));
        Assert.Null(rates.Observe("old", T0.AddMinutes(2).AddSeconds(1), 2));
        Assert.NotNull(rates.Observe("new", T0.AddMinutes(2).AddSeconds(1), 2));
    }
}
