using System.Net;

namespace Drover.Dns.Tests;

public class DnsOptionsTests
{
    [Fact]
    public void DefaultsAreValidAndConsulLike()
    {
        var options = new DnsOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(("drover", "dc1", 8600), (options.Domain, options.Datacenter, options.UdpListen.Port));
        Assert.Equal((0u, 0u, false), (options.ServiceTtl, options.NodeTtl, options.OnlyPassing));
    }

    [Fact]
    public void EveryProblemIsReported()
    {
        var options = new DnsOptions
        {
            Domain = "bad domain",
            Datacenter = "a.b",
            Recursors = [new IPEndPoint(IPAddress.Loopback, 0)],
            UdpAnswerLimit = -1,
            MaxUdpPayload = 100,
            MaxTcpConnections = 0,
            TcpIdleTimeout = TimeSpan.Zero,
            ForwardTimeout = TimeSpan.Zero,
        };
        Assert.Equal(8, options.Validate().Count);
        Assert.Throws<ArgumentException>(options.ThrowIfInvalid);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("127.0.0.1:8600", "127.0.0.1:8600")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("::1", "[::1]:53")]
    [InlineData(":8600", "0.0.0.0:8600")]
    public void EndpointsParse(string text, string expected) => Assert.Equal(expected, DnsOptions.ParseEndpoint(text).ToString());

    [Fact]
    public void BadEndpointsThrow() => Assert.Throws<FormatException>(() => DnsOptions.ParseEndpoint("nope:x"));

    [Fact]
    public void ResolvConfNameserversAreRead()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\nsearch example.com\nnameserver 10.1.2.3\nnameserver   ::1\nnameserver bogus\noptions ndots:2\n");
            Assert.Equal(["10.1.2.3:53", "[::1]:53"], DnsOptions.ReadResolvConf(path).Select(e => e.ToString()));
            Assert.Empty(DnsOptions.ReadResolvConf(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
