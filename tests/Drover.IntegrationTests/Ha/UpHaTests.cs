using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary><c>drover up --ha</c>: a local 3-member etcd, 3 servers and an agent in one command, stopped by SIGTERM.</summary>
public sealed partial class UpHaTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"^\[2/4\] server \d: (http://127\.0\.0\.1:\d+)/")]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"\(pids (\d+), (\d+), (\d+)\)")]
    private static partial Regex EtcdPids();

    [Fact(Timeout = 240_000)]
    public async Task Up_ha_runs_three_servers_that_agree_on_a_leader_deploys_an_app_and_stops_etcd_by_pid()
    {
        using var dir = new TempDir("up-ha");
        var agentDir = dir.Combine("agent");
        await using var up = DroverProcess.Start(
            ["up", "--ha", "--data-dir", dir.Path, "--listen", $"127.0.0.1:{FreePort.Get()}", "--dns-listen", "127.0.0.1:0",
             "--agent-listen", "127.0.0.1:0", "--ports", LocalCluster.NextPortRange(), "--docker-socket", "none", "--no-lb"],
            new ProcessOptions { Name = "up --ha" });
        try
        {
            await up.WaitForLineAsync(l => l.StartsWith("[4/4] Drover is up (HA)", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            var servers = up.Lines.Select(l => ServerLine().Match(l.Text)).Where(m => m.Success).Select(m => new Uri(m.Groups[1].Value)).ToList();
            Assert.Equal(3, servers.Distinct().Count());
            var pids = up.Lines.Select(l => EtcdPids().Match(l.Text)).First(m => m.Success).Groups.Values.Skip(1).Select(g => int.Parse(g.Value)).ToList();
            Assert.All(pids, pid => Assert.True(Directory.Exists($"/proc/{pid}"), $"etcd {pid} runs"));

            // all three answer /v2/leader with the same live leader
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var leaders = new List<string>();
            foreach (var s in servers) leaders.Add((await http.GetFromJsonAsync<JsonObject>(new Uri(s, "/v2/leader")))!["leader"]!.GetValue<string>());
            Assert.Single(leaders.Distinct());
            Assert.Contains(servers, s => $"{s.Host}:{s.Port}" == leaders[0]);
            Assert.Contains(up.Lines, l => l.Text.Contains($"leader: {leaders[0]}", StringComparison.Ordinal));

            // an app deployed through a follower runs on the agent
            var follower = servers.First(s => $"{s.Host}:{s.Port}" != leaders[0]);
            using var client = new DroverClient(follower);
            using (var doc = JsonDocument.Parse("""{"id":"/ha/sleep","cmd":"exec sleep 3600","instances":2,"cpus":0.05,"mem":16}"""))
                await client.PutAppAsync("/ha/sleep", doc.RootElement.Clone());
            await Eventually.AsyncAssert(async () =>
            {
                var app = await client.GetAppAsync("/ha/sleep");
                return app.TasksRunning == 2 && app.Deployments.Count == 0;
            }, TimeSpan.FromSeconds(60), "/ha/sleep runs 2 tasks", () => up.FormatOutput(60));

            // `drover status` on a follower: the etcd store with its size from etcd's own status call, and the leader
            var status = await client.GetStatusAsync();
            Assert.Equal("etcd", status.Store.Kind);
            Assert.True(status.Store.SizeBytes > 0, $"etcd's db size: {status.Store.SizeBytes}");
            Assert.True(status.Store.Index > 0);
            Assert.False(status.Store.Stale);
            Assert.False(status.IsLeader);
            Assert.Equal(leaders[0], status.Leader);
            var cli = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "status", "--server", follower.ToString());
            output.WriteLine(cli.ToString());
            Assert.Equal(0, cli.ExitCode);
            Assert.Matches(@"(?m)^store\s+etcd .*[\d.]+[KM]?i?B, index \d+", cli.Stdout);
            Assert.Matches($@"(?m)^leader\s+{Regex.Escape(leaders[0])}", cli.Stdout);

            // SIGTERM: everything stops, etcd members by their PIDs
            await up.KillAsync(UnixSignal.Term);
            Assert.Equal(0, await up.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"etcd {pid} stopped"));
            // a clean stop: etcd outlives the servers, so none of them complains about it on the way out
            var afterStop = up.Lines.SkipWhile(l => l.Text != "stopping...").ToList();
            Assert.DoesNotContain(afterStop, l => l.Text.Contains("Unhandled exception", StringComparison.Ordinal) || l.Text.Contains("etcd unavailable", StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine(up.FormatOutput(200));
            throw;
        }
        finally
        {
            await up.DisposeAsync();
            LocalCluster.KillStrayTasks(agentDir);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Up_ha_without_etcd_on_path_says_how_to_install_it()
    {
        using var dir = new TempDir("up-ha-noetcd");
        await using var up = DroverProcess.Start(["up", "--ha", "--data-dir", dir.Path, "--listen", $"127.0.0.1:{FreePort.Get()}", "--no-lb"],
            new ProcessOptions { Name = "up --ha (no etcd)", Environment = new Dictionary<string, string?> { ["PATH"] = dir.Path } });
        Assert.Equal(1, await up.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains(up.Lines, l => l.IsStderr && l.Text.Contains("etcd is not installed: apt-get install etcd-server", StringComparison.Ordinal));
        Assert.DoesNotContain(up.Lines, l => l.Text.Contains("Exception", StringComparison.Ordinal));
    }
}
