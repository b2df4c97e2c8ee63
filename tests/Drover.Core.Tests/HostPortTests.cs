using Drover.Core.Net;

namespace Drover.Core.Tests;

public sealed class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:5051", "127.0.0.1", 5051)]
    [InlineData("db.example:3306", "db.example", 3306)]
    [InlineData("[::1]:53", "::1", 53)]
    [InlineData(" localhost:0 ", "localhost", 0)]
    [InlineData(":8600", "", 8600)]
    public void Host_and_port_split(string text, string host, int port)
    {
        Assert.True(HostPort.TrySplit(text, out var hp, out var error), error);
        Assert.Equal(new HostPort(host, port), hp);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", 53)]
    [InlineData("::1", "::1", 53)]
    [InlineData("[fe80::1]", "fe80::1", 53)]
    [InlineData("dns.example", "dns.example", 53)]
    public void A_missing_port_takes_the_default_when_there_is_one(string text, string host, int port)
    {
        Assert.True(HostPort.TrySplit(text, out var hp, out var error, defaultPort: 53), error);
        Assert.Equal(new HostPort(host, port), hp);
        Assert.False(HostPort.TrySplit(text, out _, out _));
    }

    [Theory]
    [InlineData(null, "must be host:port, e.g. 127.0.0.1:5051")]
    [InlineData("nope", "'nope' must be host:port, e.g. 127.0.0.1:5051")]
    [InlineData("host:", "'host:' must be host:port, e.g. 127.0.0.1:5051")]
    [InlineData("host:x", "'host:x': port must be a number from 0 to 65535")]
    [InlineData("host:65536", "'host:65536': port must be a number from 0 to 65535")]
    [InlineData("host:-1", "'host:-1': port must be a number from 0 to 65535")]
    [InlineData("[::1", "'[::1' must be host:port, e.g. 127.0.0.1:5051")]
    [InlineData("a:b:c", "'a:b:c' must be host:port, e.g. 127.0.0.1:5051 (an IPv6 host goes in brackets: [::1]:5051)")]
    public void Every_mistake_has_one_message(string? text, string message)
    {
        Assert.False(HostPort.TrySplit(text, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("127.0.0.1:5051", "127.0.0.1:5051")]
    [InlineData("localhost:7000", "127.0.0.1:7000")]
    [InlineData("*:7000", "0.0.0.0:7000")]
    [InlineData("+:7000", "0.0.0.0:7000")]
    [InlineData(":8600", "0.0.0.0:8600")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    public void Endpoints_resolve_the_special_hosts(string text, string expected) =>
        Assert.Equal(expected, HostPort.ParseEndPoint(text).ToString());

    [Fact]
    public void An_endpoint_needs_an_address_not_a_name()
    {
        Assert.False(HostPort.TryParseEndPoint("db.example:80", out _, out var error));
        Assert.Equal("'db.example:80': host must be an IP address, localhost or *", error);
        Assert.Equal("'nope:x': port must be a number from 0 to 65535", Assert.Throws<FormatException>(() => HostPort.ParseEndPoint("nope:x")).Message);
    }

    [Theory]
    [InlineData("10.0.0.5:8080", "10.0.0.5")]
    [InlineData("[fe80::1]:80", "fe80::1")]
    [InlineData("fe80::1", "fe80::1")]
    [InlineData("name", "name")]
    public void HostOf_takes_the_host(string text, string host) => Assert.Equal(host, HostPort.HostOf(text));
}
