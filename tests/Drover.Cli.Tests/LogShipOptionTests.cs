using Drover.Agent.Logs.Shipping;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>--log-ship and --log-ship-buffer, read the way drover agent and drover up read them (both use AgentRoleOptions).</summary>
public sealed class LogShipOptionTests
{
    [Fact]
    public void Reads_the_collector_and_buffer_into_the_agent_options()
    {
        var (options, result) = AgentRoleParsing.Parse("--log-ship", "http://10.0.0.5:8080/logs", "--log-ship-buffer", "50");
        var agent = AgentRoleParsing.Read(options, result);
        Assert.Equal(50, agent.LogShipBuffer);
        Assert.Equal(LogShipProtocol.Http, agent.LogShipTarget!.Protocol);
        Assert.Equal(8080, agent.LogShipTarget.Port);

        var (defaults, none) = AgentRoleParsing.Parse();
        var plain = AgentRoleParsing.Read(defaults, none);
        Assert.Null(plain.LogShipTarget);
        Assert.Equal(LogShipBuffer.DefaultCapacity, plain.LogShipBuffer);
    }

    [Theory]
    [InlineData("tcp://collector", "a port is required")]
    [InlineData("syslog://collector:514", "the scheme must be tcp, http or https, not 'syslog'")]
    public void A_bad_url_is_a_usage_error_naming_the_problem(string url, string expected)
    {
        var (options, result) = AgentRoleParsing.Parse("--log-ship", url);
        var e = Assert.Throws<UsageException>(() => AgentRoleParsing.Read(options, result));
        Assert.Contains($"logShip: '{url}': {expected}", e.Message);
    }
}
