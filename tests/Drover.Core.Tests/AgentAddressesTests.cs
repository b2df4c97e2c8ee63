using Drover.Core.Cluster;

namespace Drover.Core.Tests;

/// <summary>Which address other hosts and DNS use for an agent's tasks.</summary>
public sealed class AgentAddressesTests
{
    private static AgentInfo Agent(string hostname, string? endpoint = null, string? address = null) => new()
    {
        Id = "a",
        Hostname = hostname,
        Endpoint = endpoint,
        Address = address,
        Resources = new AgentResources(),
        RegisteredAt = "2024-01-01T00:00:00.000Z",
        LastSeenAt = "2024-01-01T00:00:00.000Z",
    };

    [Fact]
    public void The_advertised_address_wins_over_an_IP_hostname_and_the_endpoint()
    {
        Assert.Equal("192.168.1.5", Agent("10.0.0.5", "http://10.0.0.5:5051", address: "192.168.1.5").IpAddress());
        Assert.Equal("192.168.1.5", Agent("node-5", "http://node-5:5051", address: "192.168.1.5").IpAddress());
    }

    [Fact]
    public void Without_one_the_hostname_then_the_endpoint_decide_as_before()
    {
        Assert.Equal("10.0.0.5", Agent("10.0.0.5", "http://127.0.0.1:5051").IpAddress());
        Assert.Equal("127.0.0.1", Agent("node-5", "http://127.0.0.1:5051").IpAddress());
        Assert.Null(Agent("node-5", "http://node-5:5051").IpAddress());
        Assert.Null(Agent("node-5", "http://node-5:5051", address: "not-an-ip").IpAddress());
    }
}
