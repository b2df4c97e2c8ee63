namespace Drover.Cli.Tests;

/// <summary>--leader-lease-ttl: an etcd lease is whole seconds, so anything else is refused before the server starts.</summary>
public sealed class LeaderLeaseOptionTests
{
    [Theory]
    [InlineData("1500ms", "--leader-lease-ttl 1.5s: etcd leases are whole seconds, at least 1 s")]
    [InlineData("500ms", "--leader-lease-ttl 0.5s: etcd leases are whole seconds, at least 1 s")]
    public async Task A_lease_ttl_etcd_cannot_grant_is_a_usage_error_naming_it(string ttl, string message)
    {
        var run = await CliHarness.RunAsync("server", "--in-memory", "--etcd", "http://127.0.0.1:1", "--leader-lease-ttl", ttl);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Err);
    }
}
