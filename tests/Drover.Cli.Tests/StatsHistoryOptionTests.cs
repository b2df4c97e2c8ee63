using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Roles;

namespace Drover.Cli.Tests;

/// <summary>--stats-interval and --stats-history, read the way drover agent and drover up read them.</summary>
public sealed class StatsHistoryOptionTests
{
    private static (AgentRoleOptions Options, ParseResult Result) Parse(params string[] args)
    {
        var options = new AgentRoleOptions("--agent-listen");
        var command = new RootCommand();
        options.AddTo(command);
        return (options, command.Parse(args));
    }

    [Fact]
    public void Reads_the_interval_and_history_into_the_agent_options_with_defaults_when_absent()
    {
        var (options, result) = Parse("--stats-interval", "2s", "--stats-history", "10m");
        var agent = options.Read(result, "http://127.0.0.1:8080", "/tmp/drover-x", null);
        Assert.Equal(TimeSpan.FromSeconds(2), agent.StatsInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), agent.StatsRetention);

        var (defaults, none) = Parse();
        var plain = defaults.Read(none, "http://127.0.0.1:8080", "/tmp/drover-x", null);
        Assert.Equal(TimeSpan.FromSeconds(10), plain.StatsInterval);
        Assert.Equal(TimeSpan.FromHours(1), plain.StatsRetention);
    }

    [Fact]
    public void A_bad_duration_is_a_parse_error_naming_the_option()
    {
        var (_, result) = Parse("--stats-interval", "often");
        Assert.Contains(result.Errors, e => e.Message.Contains("--stats-interval expects a duration", StringComparison.Ordinal));
    }

    [Fact]
    public void An_interval_longer_than_the_history_is_a_usage_error()
    {
        var (options, result) = Parse("--stats-interval", "30s", "--stats-history", "10s");
        var e = Assert.Throws<UsageException>(() => options.Read(result, "http://127.0.0.1:8080", "/tmp/drover-x", null));
        Assert.Contains("statsHistory: must be at least one stats interval", e.Message);
    }
}
