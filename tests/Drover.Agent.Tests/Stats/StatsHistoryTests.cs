using Drover.Agent.Stats;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Stats;

namespace Drover.Agent.Tests.Stats;

/// <summary>The stats history's rings, driven by a manual clock: bounded, oldest first, cut by age and by since.</summary>
public sealed class StatsHistoryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static AgentStats Reading(DateTimeOffset at, params (string Id, double Rate, ulong Mem)[] tasks) => new()
    {
        Host = new HostStats
        {
            Hostname = "h1",
            Timestamp = at,
            Cpu = new HostCpuStats { Cores = 2, Rate = 0.5 },
            Memory = new HostMemoryStats { TotalBytes = 1000, UsedBytes = 400, AvailableBytes = 600 },
            Load = new LoadAverage(1.5, 1, 0.5),
            Tasks = tasks.Length,
        },
        Tasks = [.. tasks.Select(t => new TaskStats
        {
            TaskId = t.Id,
            AppId = "/web",
            Timestamp = at,
            Source = "proc",
            Cpu = new CpuStats { UsageSeconds = 3, Rate = t.Rate },
            Memory = new MemoryStats { UsageBytes = t.Mem },
        })],
    };

    [Fact]
    public void A_ring_keeps_its_capacity_newest_samples_oldest_first()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var ring = new SampleRing<DateTimeOffset>(3, TimeSpan.FromHours(1), x => x);
        for (var i = 0; i < 5; i++) ring.Add(t0.AddSeconds(i));
        Assert.Equal(3, ring.Count);
        Assert.Equal([t0.AddSeconds(2), t0.AddSeconds(3), t0.AddSeconds(4)], ring.Read(null, t0.AddSeconds(5)));
        Assert.Equal(t0.AddSeconds(4), ring.Newest);
    }

    [Fact]
    public void Since_returns_only_newer_samples_and_age_cuts_the_rest()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var ring = new SampleRing<DateTimeOffset>(100, TimeSpan.FromSeconds(30), x => x);
        for (var i = 0; i < 10; i++) ring.Add(t0.AddSeconds(i * 10));
        // now = 90 s: retention 30 s keeps 60, 70, 80, 90
        Assert.Equal([t0.AddSeconds(60), t0.AddSeconds(70), t0.AddSeconds(80), t0.AddSeconds(90)], ring.Read(null, t0.AddSeconds(90)));
        Assert.Equal([t0.AddSeconds(80), t0.AddSeconds(90)], ring.Read(t0.AddSeconds(70), t0.AddSeconds(90)));
        // after a long gap nothing is served, however many samples the ring still holds
        Assert.Empty(ring.Read(null, t0.AddHours(1)));
    }

    [Fact]
    public void A_ring_needs_room_for_one_sample()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRing<int>(0, TimeSpan.FromMinutes(1), _ => DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void History_keeps_an_hour_of_ten_second_samples_per_task_and_host_and_no_more()
    {
        var time = new ManualTimeProvider();
        var history = new StatsHistory(Interval, TimeSpan.FromHours(1), time);
        Assert.Equal(360, history.Capacity);
        var running = new HashSet<string> { "t1", "t2" };
        for (var i = 0; i < 500; i++)
        {
            history.Record(Reading(time.GetUtcNow(), ("t1", i, (ulong)i), ("t2", 1, 7)), running);
            time.Advance(Interval);
        }
        var t1 = history.ReadTask("t1", null)!;
        Assert.Equal(360, t1.Count);
        Assert.Equal(140, t1[0].CpuRate); // the 140 oldest were overwritten
        Assert.Equal(499UL, t1[^1].MemoryBytes);
        Assert.True(t1.Zip(t1.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp));
        Assert.Equal(360, history.ReadHost(null).Count);
        Assert.Equal(1.5, history.ReadHost(null)[^1].Load1);
        Assert.Equal(400UL, history.ReadHost(null)[^1].MemoryUsedBytes);
    }

    [Fact]
    public void History_since_gives_only_what_came_after()
    {
        var time = new ManualTimeProvider();
        var history = new StatsHistory(Interval, TimeSpan.FromHours(1), time);
        var running = new HashSet<string> { "t1" };
        DateTimeOffset mark = default;
        for (var i = 0; i < 6; i++)
        {
            if (i == 3) mark = time.GetUtcNow();
            history.Record(Reading(time.GetUtcNow(), ("t1", i, 1)), running);
            time.Advance(Interval);
        }
        Assert.Equal([4.0, 5.0], history.ReadTask("t1", mark)!.Select(s => s.CpuRate!.Value));
        Assert.Equal(2, history.ReadHost(mark).Count);
    }

    [Fact]
    public void A_task_that_stops_running_loses_its_ring()
    {
        var time = new ManualTimeProvider();
        var history = new StatsHistory(Interval, TimeSpan.FromMinutes(5), time);
        history.Record(Reading(time.GetUtcNow(), ("t1", 1, 1), ("t2", 1, 1)), new HashSet<string> { "t1", "t2" });
        time.Advance(Interval);
        history.Record(Reading(time.GetUtcNow(), ("t1", 1, 1)), new HashSet<string> { "t1" });
        Assert.Equal(1, history.TaskCount);
        Assert.Null(history.ReadTask("t2", null));
        Assert.Equal(2, history.ReadTask("t1", null)!.Count);
    }

    [Fact]
    public void A_task_missing_from_one_reading_keeps_its_ring_while_it_runs()
    {
        var time = new ManualTimeProvider();
        var history = new StatsHistory(Interval, TimeSpan.FromMinutes(5), time);
        var running = new HashSet<string> { "t1" };
        history.Record(Reading(time.GetUtcNow(), ("t1", 1, 1)), running);
        time.Advance(Interval);
        history.Record(Reading(time.GetUtcNow()), running); // Docker too slow this time
        Assert.Single(history.ReadTask("t1", null)!);
    }
}
