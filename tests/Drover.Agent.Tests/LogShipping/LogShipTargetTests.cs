using Drover.Agent.Logs.Shipping;

namespace Drover.Agent.Tests.LogShipping;

public sealed class LogShipTargetTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:5170", LogShipProtocol.Tcp, "127.0.0.1", 5170)]
    [InlineData("tcp://logs.example:9000/", LogShipProtocol.Tcp, "logs.example", 9000)]
    [InlineData("tls://logs.example:6514", LogShipProtocol.Tcp, "logs.example", 6514)]
    [InlineData("http://10.0.0.5:8080/logs", LogShipProtocol.Http, "10.0.0.5", 8080)]
    [InlineData("https://collector:443/in", LogShipProtocol.Http, "collector", 443)]
    [InlineData("http://[::1]:80/", LogShipProtocol.Http, "[::1]", 80)]
    public void Accepts_tcp_and_http_with_a_port(string text, LogShipProtocol protocol, string host, int port)
    {
        Assert.True(LogShipTarget.TryParse(text, out var target, out var error), error);
        Assert.Equal(protocol, target!.Protocol);
        Assert.Equal(host.Trim('[', ']'), target.Host.Trim('[', ']'));
        Assert.Equal(port, target.Port);
    }

    [Theory]
    [InlineData("udp://127.0.0.1:5170", "the scheme must be tcp, tls, http or https, not 'udp'")]
    [InlineData("file:///var/log/x", "the scheme must be tcp, tls, http or https, not 'file'")]
    [InlineData("tcp://127.0.0.1", "a port is required")]
    [InlineData("http://collector/logs", "a port is required")]
    [InlineData("tcp://127.0.0.1:5170/path", "a tcp:// collector takes no path")]
    [InlineData("127.0.0.1:5170", "is not a URL with a scheme, tcp://, tls:// or http(s)://")]
    [InlineData("tcp://:5170", "is not a URL")]
    [InlineData("not a url", "is not a URL")]
    [InlineData("", "is not a URL")]
    public void Refuses_a_bad_url_naming_the_problem(string text, string expected)
    {
        Assert.False(LogShipTarget.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Contains("e.g. tcp://", error);
    }

    [Fact]
    public void Agent_options_report_a_bad_log_ship_url_and_buffer()
    {
        var options = new AgentOptions { ServerUrl = "http://127.0.0.1:8080", DataDir = "/tmp/x", LogShip = "udp://h:1", LogShipBuffer = 0 };
        var errors = options.Validate();
        Assert.Contains(errors, e => e.StartsWith("logShip: 'udp://h:1': the scheme must be tcp, tls, http or https", StringComparison.Ordinal));
        Assert.Contains("logShipBuffer: must be at least 1 line, got 0", errors);
    }
}
