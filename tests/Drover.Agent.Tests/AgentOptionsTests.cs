using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests;

public sealed class AgentOptionsTests
{
    private static AgentOptions Valid() => new() { ServerUrl = "http://127.0.0.1:8080", DataDir = "/var/lib/drover" };

    [Fact]
    public void Defaults_are_valid_and_match_the_documented_values()
    {
        var o = Valid();
        Assert.Empty(o.Validate());
        Assert.Equal(Environment.MachineName, o.Hostname);
        Assert.Equal("127.0.0.1:0", o.Listen);
        Assert.Equal(TimeSpan.FromSeconds(1), o.HeartbeatInterval);
        Assert.Equal([new PortRange(31000, 32000)], o.PortRanges);
        Assert.True(o.EnableCgroups);
        Assert.False(o.KillTasksOnStop);
        Assert.Equal(TimeSpan.FromSeconds(10), o.StatsInterval);
        Assert.Equal(TimeSpan.FromHours(1), o.StatsRetention);
    }

    [Theory]
    [InlineData(0.05, 3600, "statsInterval: must be between 100ms and 60s")]
    [InlineData(120, 3600, "statsInterval: must be between 100ms and 60s")]
    [InlineData(10, 5, "statsHistory: must be at least one stats interval")]
    [InlineData(0.1, 86400, "samples per task, more than 100000")]
    public void A_stats_history_that_cannot_work_or_would_not_stay_small_is_refused(double intervalSeconds, double historySeconds, string expected)
    {
        var o = Valid() with { StatsInterval = TimeSpan.FromSeconds(intervalSeconds), StatsRetention = TimeSpan.FromSeconds(historySeconds) };
        Assert.Contains(o.Validate(), e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("31000-32000,33000-33100", "31000-32000 33000-33100")]
    [InlineData(" 33000-33100 , 31000-32000 ", "31000-32000 33000-33100")]
    [InlineData("8080,9000-9001", "8080-8080 9000-9001")]
    public void Port_ranges_parse_and_sort(string text, string expected)
    {
        Assert.True(AgentOptions.TryParsePorts(text, out var ranges, out var error), error);
        Assert.Equal(expected, string.Join(' ', ranges.Select(r => $"{r.Begin}-{r.End}")));
    }

    [Theory]
    [InlineData("", "at least one range")]
    [InlineData("31000-", "is not a port or a range")]
    [InlineData("abc", "is not a port or a range")]
    [InlineData("32000-31000", "begin <= end")]
    [InlineData("0-10", "within 1-65535")]
    [InlineData("31000-32000,31500-33000", "overlap")]
    public void Bad_port_ranges_are_rejected_with_a_reason(string text, string reason)
    {
        Assert.False(AgentOptions.TryParsePorts(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("127.0.0.1:5051", "127.0.0.1", 5051)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:5051", "::1", 5051)]
    [InlineData("localhost:7000", "127.0.0.1", 7000)]
    [InlineData("*:7000", "0.0.0.0", 7000)]
    public void Listen_addresses_parse(string text, string address, int port)
    {
        Assert.True(AgentOptions.TryParseListen(text, out var ep, out var error), error);
        Assert.Equal(address, ep.Address.ToString());
        Assert.Equal(port, ep.Port);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_the_option_name()
    {
        var o = new AgentOptions
        {
            ServerUrl = "ftp://server",
            DataDir = "relative/dir",
            Listen = "nope",
            Ports = "1-2-3",
            Cpus = 0,
            MemMb = -1,
            HeartbeatInterval = TimeSpan.Zero,
            CgroupParent = "/drover/../escape",
        };

        var e = Assert.Throws<AgentConfigurationException>(o.ValidateOrThrow);

        Assert.Equal(8, e.Errors.Count);
        Assert.Contains(e.Errors, m => m.StartsWith("serverUrl:"));
        Assert.Contains(e.Errors, m => m.StartsWith("dataDir:") && m.Contains("absolute"));
        Assert.Contains(e.Errors, m => m.StartsWith("listen:"));
        Assert.Contains(e.Errors, m => m.StartsWith("ports:"));
        Assert.Contains(e.Errors, m => m.StartsWith("cpus:"));
        Assert.Contains(e.Errors, m => m.StartsWith("memMb:"));
        Assert.Contains(e.Errors, m => m.StartsWith("heartbeatInterval:"));
        Assert.Contains(e.Errors, m => m.StartsWith("cgroupParent:"));
        Assert.Throws<AgentConfigurationException>(() => new DroverAgent(o));
    }

    [Fact]
    public void Resources_are_detected_unless_overridden()
    {
        using var dir = new TestDir();
        var detected = ResourceDetector.Detect(Valid() with { DataDir = dir.Path, Ports = "31000-31099" });
        Assert.Equal(Environment.ProcessorCount, detected.Cpus);
        Assert.True(detected.MemMb > 100, $"MemTotal read from /proc/meminfo ({detected.MemMb})");
        Assert.True(detected.DiskMb > 0, $"free disk of the data dir ({detected.DiskMb})");
        Assert.Equal(100, detected.Ports.Single().Count);

        var overridden = ResourceDetector.Detect(Valid() with { DataDir = dir.Combine("not", "yet"), Cpus = 1.5, MemMb = 512, DiskMb = 1000 });
        Assert.Equal(1.5, overridden.Cpus);
        Assert.Equal(512, overridden.MemMb);
        Assert.Equal(1000, overridden.DiskMb);
    }
}
