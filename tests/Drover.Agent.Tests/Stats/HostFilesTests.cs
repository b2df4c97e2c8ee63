using Drover.Agent.Stats;

namespace Drover.Agent.Tests.Stats;

public sealed class HostFilesTests
{
    [Fact]
    public void The_cpu_line_gives_busy_and_total_jiffies_without_idle_and_iowait()
    {
        const string stat = "cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 12345\n";
        Assert.Equal((161UL, 1181UL), HostFiles.ParseCpuLine(stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpu0 1 2 3 4\n")]
    [InlineData("cpu  1 2 x 4 5\n")]
    [InlineData("cpu  1 2\n")]
    public void A_malformed_cpu_line_is_no_figure(string stat) => Assert.Null(HostFiles.ParseCpuLine(stat));

    [Fact]
    public void Meminfo_gives_total_available_and_used()
    {
        var m = HostFiles.ParseMeminfo("MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\nBuffers: 1 kB\n");
        Assert.NotNull(m);
        Assert.Equal(24_576_000UL * 1024, m.TotalBytes);
        Assert.Equal(20_000_000UL * 1024, m.AvailableBytes);
        Assert.Equal(4_576_000UL * 1024, m.UsedBytes);
    }

    [Fact]
    public void Meminfo_without_memavailable_is_no_figure() =>
        Assert.Null(HostFiles.ParseMeminfo("MemTotal: 100 kB\nMemAvailable: lots kB\n"));

    [Fact]
    public void Loadavg_gives_the_three_averages()
    {
        Assert.Equal(new Api.Stats.LoadAverage(0.52, 0.58, 1.5), HostFiles.ParseLoadavg("0.52 0.58 1.50 1/467 12345\n"));
        Assert.Null(HostFiles.ParseLoadavg("0.52 high\n"));
        Assert.Null(HostFiles.ParseLoadavg("a b c d e"));
    }
}
