using System.Collections.Concurrent;
using Drover.IntegrationTests.Harness;
using Drover.Lb.Host;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// `drover lb` SIGKILLed leaves its HAProxy serving (the data plane outlives the control plane); the next `drover lb`
/// on the same data dir re-adopts that HAProxy rather than starting a second one, catches up with what changed while
/// it was down, and an orderly stop still takes HAProxy with it.
/// </summary>
public sealed class LbAdoptsHaproxyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 400_000)]
    public async Task ARestartedLbReadoptsTheHaproxyItsKilledPredecessorLeftAndCatchesUp()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var dir = new TempDir("lb-adopt");
        var script = LbEndToEndTests.WriteEcho(dir);
        var first = await DroverLb.StartAsync(c.BaseAddress);
        DroverLb? second = null;
        int? master = null;
        try
        {
            await c.ApplyAsync($$"""
                {
                  "id": "/adopt", "cmd": "exec python3 echo.py", "instances": 1, "cpus": 0.05, "mem": 32,
                  "portDefinitions": [{ "port": {{FreePort.Get()}} }],
                  "fetch": [{ "uri": "file://{{script}}", "extract": false }],
                  "labels": { "HAPROXY_0_VHOST": "adopt.test" },
                  "healthChecks": [{ "protocol": "HTTP", "path": "/", "gracePeriodSeconds": 10, "intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 2 }]
                }
                """);
            await c.WaitForRunningAsync("/adopt", 1);
            await Eventually.AsyncAssert(async () => (await first.LiveServersAsync("adopt_0")).Count == 1, Converge, "1 server in HAProxy");
            master = int.Parse((await File.ReadAllTextAsync(first.Dir.Combine("haproxy.pid"))).Trim());
            Assert.Equal(master, (await first.StatusAsync()).HaproxyPid);

            await using var load = new VhostLoad(first.HttpPort, "adopt.test", 2);

            // the control plane dies; the data plane keeps serving
            await first.Process.KillAsync(UnixSignal.Kill);
            Assert.True(LeftoverMaster.IsAlive(master.Value), "HAProxy's master went down with the SIGKILLed lb");
            var atKill = load.Requests;
            await Eventually.AsyncAssert(() => Task.FromResult(load.Requests > atKill + 50), Converge, "requests keep going through HAProxy with the lb down");

            // the app grows while no lb follows it
            await c.Client.ScaleAppAsync("/adopt", 2);
            var two = await c.WaitForRunningAsync("/adopt", 2);
            Assert.Single(await first.LiveServersAsync("adopt_0"));

            second = await first.RestartAsync();
            var adopted = await second.Process.WaitForLineAsync("adopted the running HAProxy", TimeSpan.FromSeconds(30));
            Assert.Contains($"master pid {master}", adopted);
            var status = await second.StatusAsync();
            Assert.True(status.HaproxyAdopted);
            Assert.Equal(master, status.HaproxyPid);
            Assert.Equal([master.Value], OurMasters(second));

            await Eventually.AsyncAssert(async () => (await second.LiveServersAsync("adopt_0")).Count == 2, Converge, "the scale done while the lb was down reaches HAProxy",
                () => second.Process.FormatOutput(60));
            await Eventually.AsyncAssert(() => Task.FromResult(two.Tasks!.All(t => load.Served.ContainsKey(t.Id))), Converge, "both tasks serve requests through the adopted HAProxy");
            Assert.Equal([master.Value], OurMasters(second));
            await load.StopAsync();
            output.WriteLine($"{load.Requests} requests through the lb's SIGKILL, a scale and the adoption; {load.Failures.Count} failed");
            Assert.True(load.Failures.IsEmpty, $"{load.Failures.Count} of {load.Requests} requests failed: {string.Join("; ", load.Failures.Take(5))}");

            // an orderly stop still takes HAProxy with it
            await second.Process.KillAsync(UnixSignal.Term);
            await second.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await Eventually.AsyncAssert(() => Task.FromResult(!LeftoverMaster.IsAlive(master.Value)), TimeSpan.FromSeconds(30), "HAProxy stops with the lb");
            Assert.Empty(OurMasters(second));
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(first.Process.FormatOutput(120));
            if (second is not null) output.WriteLine(second.Process.FormatOutput(120));
            throw;
        }
        finally
        {
            if (second is not null) await second.DisposeAsync();
            await first.DisposeAsync();
            // a test that failed half-way may leave the orphaned master: end it by its PID
            if (master is { } m && LeftoverMaster.IsAlive(m) && LeftoverMaster.Argv(m) is { } argv && LeftoverMaster.IsOurMaster(argv, first.Dir.Combine("haproxy.cfg"), first.Dir.Combine("master.sock")))
                ClusterTests.KillProcess(m);
        }
    }

    /// <summary>The HAProxy masters running with this lb's config and master socket (a worker's parent is one of them).</summary>
    private static List<int> OurMasters(DroverLb lb)
    {
        var config = lb.Dir.Combine("haproxy.cfg");
        var socket = lb.Dir.Combine("master.sock");
        var ours = new Dictionary<int, int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid) || !LeftoverMaster.IsAlive(pid)) continue;
            if (LeftoverMaster.Argv(pid) is not { } argv || !LeftoverMaster.IsOurMaster(argv, config, socket)) continue;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                ours[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { }
        }
        return [.. ours.Where(p => !ours.ContainsKey(p.Value)).Select(p => p.Key).Order()];
    }
}
