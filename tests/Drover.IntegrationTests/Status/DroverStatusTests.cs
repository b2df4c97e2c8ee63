using Drover.IntegrationTests.Cli;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Status;

/// <summary>
/// The health of Drover itself on a real server and agent: /v1/drover/status and `drover status`, while Marathon's
/// /v2/info keeps the shape python3-marathon's get_info accepts.
/// </summary>
public sealed class DroverStatusTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    [Fact(Timeout = 180_000)]
    public async Task Status_shows_versions_uptime_store_leader_agents_and_dns_and_moves_with_a_write()
    {
        var before = await C.Client.GetStatusAsync();
        Assert.False(string.IsNullOrEmpty(before.Version));
        Assert.Equal("1.4.13", before.MarathonVersion);
        Assert.True(before.IsLeader);
        Assert.Equal(before.Server, before.Leader);
        Assert.True(before.UptimeSeconds > 0);
        Assert.Equal("sqlite", before.Store.Kind);
        Assert.EndsWith("state.db", before.Store.Location);
        Assert.True(before.Store.SizeBytes > 0);
        Assert.True(before.Store.Index > 0);
        Assert.NotNull(before.Store.LastWriteAt);
        Assert.False(before.Store.Stale);
        Assert.Equal(new Api.Status.AgentCounts(1, 1, 0, 0), before.Agents);
        Assert.NotNull(before.Dns);
        Assert.Equal("drover", before.Dns.Domain);
        Assert.StartsWith("127.0.0.1:", before.Dns.Udp);

        await C.ApplyAsync(CliApps.Sleeper("/it/status/app"));
        var after = await Eventually.GetAsync(async () =>
        {
            var s = await C.Client.GetStatusAsync();
            return s.Store.Index > before.Store.Index && s.Store.LastWriteAt > before.Store.LastWriteAt && s.Apps >= 1 ? s : null;
        }, TimeSpan.FromSeconds(30), "the status shows the write", C.Diagnostics);
        Assert.True(after.UptimeSeconds >= before.UptimeSeconds);

        var cli = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "status", "--server", C.BaseAddress.ToString());
        output.WriteLine(cli.ToString());
        Assert.Equal(0, cli.ExitCode);
        Assert.Matches(@"(?m)^drover \S+.*, Marathon API 1\.4\.13$", cli.Stdout);
        Assert.Matches($@"(?m)^leader\s+{after.Server.Replace(".", "\\.")} \(this server\)$", cli.Stdout);
        Assert.Matches(@"(?m)^store\s+sqlite \S+state\.db, [\d.]+[KM]?i?B, index \d+, last write \d+\w* ago$", cli.Stdout);
        Assert.Matches(@"(?m)^agents\s+1: 1 active, 0 draining, 0 unreachable$", cli.Stdout);
        Assert.Matches(@"(?m)^dns\s+udp 127\.0\.0\.1:\d+, tcp 127\.0\.0\.1:\d+, domain drover$", cli.Stdout);

        var json = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "status", "-o", "json", "--server", C.BaseAddress.ToString());
        Assert.Equal(0, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.Equal("sqlite", doc.RootElement.GetProperty("store").GetProperty("kind").GetString());
    }

    [Fact(Timeout = 180_000)]
    public async Task Python_marathon_get_info_still_reads_v2_info()
    {
        var r = await PythonClient.RunAsync("""
            import sys
            from marathon import MarathonClient
            info = MarathonClient(sys.argv[1]).get_info()
            print(type(info).__name__, info.name, info.version, info.elected, info.leader is not None)
            """, C.BaseAddress.ToString());
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("MarathonInfo marathon 1.4.13 True True", r.Stdout.Trim());
    }
}
