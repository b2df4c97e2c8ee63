using Drover.Api.Stats;
using Drover.Cli.Output;

namespace Drover.Cli.Tests;

/// <summary>drover top's tables, without a server: units, percentages, absent figures.</summary>
public sealed class StatsViewTests
{
    [Theory]
    [InlineData(0UL, "0B")]
    [InlineData(512UL, "512B")]
    [InlineData(3277UL, "3.2KiB")]
    [InlineData(50_436_505UL, "48.1MiB")]
    [InlineData(1_610_612_736UL, "1.5GiB")]
    public void Bytes_in_binary_units(ulong bytes, string text) => Assert.Equal(text, StatsView.Bytes(bytes));

    [Theory]
    [InlineData(62.35, "1:02.35")]
    [InlineData(0.5, "0:00.50")]
    [InlineData(3725, "1:02:05")]
    public void Cpu_time_as_top_shows_it(double seconds, string text) => Assert.Equal(text, StatsView.CpuTime(seconds));

    [Fact]
    public void A_task_without_limit_or_network_shows_dashes_and_agent_errors_are_named()
    {
        var stats = new ClusterStats
        {
            Hosts = [new HostStats { Hostname = "h1", Timestamp = DateTimeOffset.UnixEpoch, Cpu = new HostCpuStats { Cores = 4, Rate = 2 }, Tasks = 1 }],
            Tasks = [new TaskStats
            {
                TaskId = "web.instance-3f2a9c1b-0000._app.1", AppId = "/web", Host = "h1", Timestamp = DateTimeOffset.UnixEpoch, Source = "proc",
                Cpu = new CpuStats { UsageSeconds = 1.5, Rate = 0.25 }, Memory = new MemoryStats { UsageBytes = 1024 },
            }],
            Errors = [new AgentStatsError("a2", "h2", "did not answer within 10 s")],
        };
        var w = new StringWriter();
        StatsView.Write(w, stats, int.MaxValue, noTrunc: false);
        var lines = w.ToString().Split('\n');

        Assert.Matches(@"^h1\s+4\s+50\.0%\s+-\s+-\s+-\s+1$", lines[1]); // 2 of 4 cores busy
        var row = Assert.Single(lines, l => l.StartsWith("3f2a9c1b", StringComparison.Ordinal));
        Assert.Matches(@"^3f2a9c1b\s+/web\s+h1\s+25\.0%\s+0:01\.50\s+-\s+1\.0KiB\s+-\s+-\s+-\s+-\s+-$", row);
        Assert.Contains("agent h2 (a2): did not answer within 10 s", lines);
    }
}
