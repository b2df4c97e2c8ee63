using Drover.Core.Apps;

namespace Drover.Core.Tests;

public class VersionStampsTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 12, 0, 0, 759, TimeSpan.Zero);

    [Fact]
    public void A_later_time_in_the_same_millisecond_still_gets_a_later_version()
    {
        // .7594 is written as .759: it must not repeat a previous .759 (the second write would overwrite the first's stored version)
        Assert.Equal("2026-01-01T12:00:00.760Z", VersionStamps.Next(At.AddTicks(4000), ["2026-01-01T12:00:00.759Z"]));
    }

    [Fact]
    public void The_time_itself_when_it_is_after_every_previous_version()
    {
        Assert.Equal("2026-01-01T12:00:00.759Z", VersionStamps.Next(At.AddTicks(4000), ["2026-01-01T12:00:00.758Z", null]));
        Assert.Equal("2026-01-01T12:00:00.759Z", VersionStamps.Next(At, []));
    }

    [Fact]
    public void One_millisecond_after_the_latest_previous_version_when_the_clock_is_behind()
    {
        Assert.Equal("2026-01-01T12:00:01.001Z", VersionStamps.Next(At, ["2026-01-01T12:00:00.500Z", "2026-01-01T12:00:01.000Z", "2026-01-01T11:00:00.000Z"]));
    }
}
