using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>--stats-interval and --stats-history, read the way drover agent and drover up read them.</summary>
public sealed class StatsHistoryOptionTests
{
    [Fact]
    public void Reads_the_interval_and_history_into_the_agent_options_with_defaults_when_absent()
    {
        var (options, result) = AgentRoleParsing.Parse("--stats-interval", "2s", "--stats-history", "10m");
        var agent = AgentRoleParsing.Read(options, result);
        Assert.Equal(TimeSpan.FromSeconds(2), agent.StatsInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), agent.StatsRetention);

        var (defaults, none) = AgentRoleParsing.Parse();
        var plain = AgentRoleParsing.Read(defaults, none);
        Assert.Equal(TimeSpan.FromSeconds(10), plain.StatsInterval);
        Assert.Equal(TimeSpan.FromHours(1), plain.StatsRetention);
    }

    [Fact]
    public void A_bad_duration_is_a_parse_error_naming_the_option()
    {
        var (_, result) = AgentRoleParsing.Parse("--stats-interval", "often");
        Assert.Contains(result.Errors, e => e.Message.Contains("--stats-interval expects a duration", StringComparison.Ordinal));
    }

    [Fact]
    public void An_interval_longer_than_the_history_is_a_usage_error()
    {
        var (options, result) = AgentRoleParsing.Parse("--stats-interval", "30s", "--stats-history", "10s");
        var e = Assert.Throws<UsageException>(() => AgentRoleParsing.Read(options, result));
        Assert.Contains("statsHistory: must be at least one stats interval", e.Message);
    }
}
