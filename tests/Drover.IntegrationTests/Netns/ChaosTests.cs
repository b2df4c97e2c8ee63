using System.Globalization;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// Chaos over namespace hosts (DROVER_SOAK=1): 3 agents, 10 apps, 100 rounds (DROVER_CHAOS_ROUNDS) of random agent
/// cuts and heals and task kills by PID. At the end, with every host healed, each app runs exactly its instances and
/// the task processes alive on the hosts are exactly the tasks the API lists. DROVER_CHAOS_SEED replays a run.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [SoakFact(Timeout = 1_500_000)]
    public async Task Random_cuts_heals_and_kills_end_with_every_app_at_its_count_and_no_unknown_task()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DROVER_CHAOS_ROUNDS"), out var r) ? r : 100;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DROVER_CHAOS_SEED"), out var s) ? s : Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}, {rounds} rounds");

        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions { Agents = 3, ServerArgs = ["--agent-timeout", "3s"] });
        try
        {
            var apps = Apps().ToList();
            foreach (var (id, json, _) in apps) await c.ApplyAsync(json);
            await ConvergedAsync(c, apps, TimeSpan.FromSeconds(120));

            var counts = new Dictionary<string, int> { ["cut"] = 0, ["heal"] = 0, ["kill"] = 0 };
            for (var round = 1; round <= rounds; round++)
            {
                var hosts = c.Agents;
                var cut = hosts.Where(a => a.Host.IsCut).ToList();
                var roll = random.NextDouble();
                if (roll < 0.25 && cut.Count < 2)
                {
                    var victim = hosts.Where(a => !a.Host.IsCut).OrderBy(_ => random.Next()).First();
                    await victim.Host.CutAsync();
                    counts["cut"]++;
                    output.WriteLine($"round {round}: cut {victim.Hostname}");
                }
                else if (roll < 0.45 && cut.Count > 0)
                {
                    var healed = cut[random.Next(cut.Count)];
                    await healed.Host.HealAsync();
                    counts["heal"]++;
                    output.WriteLine($"round {round}: heal {healed.Hostname}");
                }
                else
                {
                    var live = hosts.SelectMany(a => c.LiveTaskFiles(a.Hostname).Select(f => (a.Hostname, f))).ToList();
                    if (live.Count > 0)
                    {
                        var (host, file) = live[random.Next(live.Count)];
                        Libc.Kill(file.Pid, UnixSignal.Kill);
                        counts["kill"]++;
                        output.WriteLine($"round {round}: kill {file.TaskId} on {host}{(c.Agent(host).Host.IsCut ? " (cut off)" : "")}");
                    }
                }
                foreach (var a in c.Agents)
                    if (a.Process.HasExited) throw new InvalidOperationException($"{a.Process} died in round {round}\n{c.Diagnostics()}");
                // faults land at random moments: mid-heartbeat, mid-restart, mid-replacement
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(200, 2500)));
            }

            foreach (var a in c.Agents.Where(a => a.Host.IsCut)) await a.Host.HealAsync();
            output.WriteLine($"faults: {string.Join(", ", counts.Select(kv => $"{kv.Value} {kv.Key}s"))}; healing all and waiting");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await ConvergedAsync(c, apps, TimeSpan.FromSeconds(180));
            output.WriteLine($"converged {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after the last heal");
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    /// <summary>Ten apps with a mix of sizes, unreachable strategies and keep preferences.</summary>
    private static IEnumerable<(string Id, string Json, int Instances)> Apps()
    {
        for (var i = 0; i < 10; i++)
        {
            var instances = 1 + i % 3;
            var strategy = (i % 3) switch
            {
                0 => """{"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}""",
                1 => """{"inactiveAfterSeconds": 2, "expungeAfterSeconds": 600}""",
                _ => """{"inactiveAfterSeconds": 5, "expungeAfterSeconds": 20}""",
            };
            var keep = (i % 4) switch { 0 => "returning", 1 => "replacement", _ => null };
            var labels = keep is null ? "{}" : $$"""{"DROVER_UNREACHABLE_KEEP": "{{keep}}"}""";
            var constraints = i == 9 ? """[["hostname", "UNIQUE"]]""" : "[]";
            var id = $"/chaos/app{i}";
            yield return (id, $$"""
                {"id": "{{id}}", "instances": {{instances}}, "cpus": 0.01, "mem": 8, "cmd": "exec sleep 100000",
                 "backoffSeconds": 0.5, "backoffFactor": 1.5, "maxLaunchDelaySeconds": 5,
                 "unreachableStrategy": {{strategy}}, "labels": {{labels}}, "constraints": {{constraints}}}
                """, instances);
        }
    }

    private static Task ConvergedAsync(NetnsCluster c, IReadOnlyList<(string Id, string Json, int Instances)> apps, TimeSpan timeout) =>
        Eventually.AsyncAssert(async () =>
        {
            var tasks = await c.Client.ListTasksAsync();
            foreach (var (id, _, n) in apps)
            {
                var mine = tasks.Where(t => t.AppId == id).ToList();
                if (mine.Count != n || mine.Any(t => t.State != "TASK_RUNNING")) return false;
            }
            var listed = tasks.Select(t => (t.Host, t.Id)).Order().ToList();
            var live = c.Agents.SelectMany(a => c.LiveTaskFiles(a.Hostname).Select(f => ((string?)a.Hostname, f.TaskId))).Order().ToList();
            return listed.SequenceEqual(live);
        }, timeout, "every app at its count, all running, and the live task processes exactly those the API lists", () => Describe(c));

    private static string Describe(NetnsCluster c)
    {
        var lines = new List<string>();
        try
        {
            var tasks = c.Client.ListTasksAsync().GetAwaiter().GetResult();
            lines.AddRange(tasks.OrderBy(t => t.AppId).Select(t => $"api: {t.AppId} {t.Id} {t.Host} {t.State}"));
        }
        catch (Exception e)
        {
            lines.Add("api: " + e.Message);
        }
        foreach (var a in c.Agents)
            lines.AddRange(c.LiveTaskFiles(a.Hostname).Select(f => $"live on {a.Hostname}: {f.TaskId} pid {f.Pid}"));
        return string.Join("\n", lines) + "\n" + c.Diagnostics();
    }
}
