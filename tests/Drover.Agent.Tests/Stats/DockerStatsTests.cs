using System.Text.Json;
using Drover.Agent.Docker;
using Drover.Agent.Drivers.Docker;

namespace Drover.Agent.Tests.Stats;

/// <summary>Docker's one-shot stats (API 1.41, cgroup v1 host, bridge network), turned into a task's figures.</summary>
public sealed class DockerStatsTests
{
    private const string V1Stats = """
        {"read":"2026-11-30T09:00:00.123456789Z","preread":"0001-01-01T00:00:00Z",
         "cpu_stats":{"cpu_usage":{"total_usage":3000000000,"usage_in_kernelmode":1000000000,"usage_in_usermode":2000000000},
                      "system_cpu_usage":123456789000000,"online_cpus":2,
                      "throttling_data":{"periods":40,"throttled_periods":10,"throttled_time":500000000}},
         "memory_stats":{"usage":52428800,"max_usage":60000000,"limit":67108864,
                         "stats":{"cache":4194304,"rss":46137344,"total_cache":4194304,"total_rss":46137344}},
         "networks":{"eth0":{"rx_bytes":1000,"rx_packets":10,"tx_bytes":2000,"tx_packets":20},
                     "eth1":{"rx_bytes":5,"rx_packets":1,"tx_bytes":7,"tx_packets":1}}}
        """;

    [Fact]
    public void Cpu_throttling_memory_split_and_network_over_every_interface()
    {
        var stats = JsonSerializer.Deserialize(V1Stats, DockerJsonContext.Default.DockerStats)!;
        var u = DockerTaskHandle.Usage(stats, DateTimeOffset.UnixEpoch);

        Assert.Equal("docker", u.Source);
        Assert.Equal(3_000_000_000UL, u.CpuUsageNanos);
        Assert.Equal(2_000_000_000UL, u.CpuUserNanos);
        Assert.Equal(1_000_000_000UL, u.CpuSystemNanos);
        Assert.Equal(10UL, u.CpuThrottledPeriods);
        Assert.Equal(500_000_000UL, u.CpuThrottledNanos);
        Assert.Equal(52_428_800UL - 4_194_304UL, u.MemoryBytes); // as `docker stats`: without the page cache
        Assert.Equal(46_137_344UL, u.MemoryRssBytes);
        Assert.Equal(4_194_304UL, u.MemoryCacheBytes);
        Assert.Equal(67_108_864UL, u.MemoryLimitBytes);
        Assert.Equal(1005UL, u.NetworkRxBytes);
        Assert.Equal(2007UL, u.NetworkTxBytes);
        Assert.Equal(21UL, u.NetworkTxPackets);
        Assert.Equal(2026, u.Timestamp.Year);
    }

    [Fact]
    public void A_container_on_the_host_network_has_no_network_figures_and_v2_names_are_read()
    {
        var stats = JsonSerializer.Deserialize("""
            {"read":"0001-01-01T00:00:00Z","cpu_stats":{"cpu_usage":{"total_usage":5}},
             "memory_stats":{"usage":1000,"limit":0,"stats":{"anon":600,"file":300,"inactive_file":200}}}
            """, DockerJsonContext.Default.DockerStats)!;
        var now = DateTimeOffset.Parse("2026-11-30T09:00:00Z");
        var u = DockerTaskHandle.Usage(stats, now);

        Assert.Null(u.NetworkRxBytes);
        Assert.Null(u.MemoryLimitBytes);
        Assert.Equal(800UL, u.MemoryBytes); // usage less inactive_file
        Assert.Equal(600UL, u.MemoryRssBytes);
        Assert.Equal(300UL, u.MemoryCacheBytes);
        Assert.Equal(now, u.Timestamp); // Docker's zero time is not a reading time
        Assert.Null(u.CpuThrottledNanos);
    }
}
