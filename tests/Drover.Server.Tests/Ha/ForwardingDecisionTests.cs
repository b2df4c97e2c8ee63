using Drover.Server.Leadership;

namespace Drover.Server.Tests.Ha;

public sealed class ForwardingDecisionTests
{
    private const string Self = "127.0.0.1:1";
    private const string Other = "127.0.0.1:2";

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    public void Reads_are_served_by_any_server_even_without_a_leader(string method) =>
        Assert.IsType<ForwardingDecision.Serve>(ForwardingDecision.Decide(method, false, null, Self, "lost", FollowerWrites.Forward, null));

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public void The_leader_serves_writes(string method) =>
        Assert.IsType<ForwardingDecision.Serve>(ForwardingDecision.Decide(method, true, Self, Self, null, FollowerWrites.Forward, null));

    [Fact]
    public void A_follower_forwards_writes_to_the_leader_by_default() =>
        Assert.Equal(new ForwardingDecision.Forward(Other), ForwardingDecision.Decide("POST", false, Other, Self, null, FollowerWrites.Forward, null));

    [Fact]
    public void A_follower_redirects_writes_when_told_to() =>
        Assert.Equal(new ForwardingDecision.Redirect(Other), ForwardingDecision.Decide("put", false, Other, Self, null, FollowerWrites.Redirect, null));

    [Fact]
    public void Without_a_leader_a_write_is_refused_naming_the_cause()
    {
        var d = Assert.IsType<ForwardingDecision.NoLeader>(ForwardingDecision.Decide("DELETE", false, null, Self, "etcd cannot tell who leads: no quorum", FollowerWrites.Forward, null));
        Assert.Equal("no leader: etcd cannot tell who leads: no quorum", d.Message);
    }

    [Fact]
    public void A_follower_that_still_believes_itself_named_leader_does_not_forward_to_itself() =>
        Assert.IsType<ForwardingDecision.NoLeader>(ForwardingDecision.Decide("POST", false, Self, Self, null, FollowerWrites.Forward, null));

    [Fact]
    public void A_forwarded_write_is_never_forwarded_again()
    {
        var d = Assert.IsType<ForwardingDecision.NoLeader>(ForwardingDecision.Decide("POST", false, Other, Self, null, FollowerWrites.Forward, "127.0.0.1:3"));
        Assert.Contains("127.0.0.1:3 forwarded this write here", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v2/queue")]
    [InlineData("GET", "/v1/drover/lb/instances")]
    public void Reads_of_what_lives_in_the_leaders_memory_go_to_the_leader(string method, string path)
    {
        Assert.Equal(new ForwardingDecision.Forward("10.0.0.1:8080"),
            ForwardingDecision.Decide(method, false, "10.0.0.1:8080", Self, null, FollowerWrites.Forward, null, path));
        Assert.IsType<ForwardingDecision.Serve>(ForwardingDecision.Decide(method, true, Self, Self, null, FollowerWrites.Forward, null, path));
        Assert.IsType<ForwardingDecision.Serve>(ForwardingDecision.Decide(method, false, "10.0.0.1:8080", Self, null, FollowerWrites.Forward, null, "/v2/apps"));
    }
}
