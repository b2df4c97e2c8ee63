using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Drover.Api;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Ha.History;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary>
/// Issue 10's history check in the Jepsen style, all real processes: 3 etcd members, 3 <c>drover server --etcd</c>, two
/// agents. Several clients, each following the leader from a different first server, create, scale and delete a few
/// shared apps and CAS-increment shared KV counters while a nemesis SIGKILLs the leader server (and starts it again),
/// makes it abdicate, freezes it past its lease (SIGSTOP, then SIGCONT once another leads), kills an etcd member, or
/// partitions a server from etcd (each server reaches each member through its own <see cref="FaultProxy"/>: the leader
/// or a follower cut from all members, or the leader left with one). Once the cluster has converged, <see cref="HistoryChecker"/> finds no acknowledged write
/// lost, no CAS update lost or doubled, no app with more tasks than desired and no task id twice.
/// </summary>
public sealed class HaHistoryTests(ITestOutputHelper output)
{
    private const string AppPrefix = "/hist";
    private const string KeyPrefix = "hist";

    [Fact(Timeout = 300_000)]
    public Task Acknowledged_writes_survive_leader_kills_and_cas_counters_lose_no_update() =>
        RunAsync(clients: 4, apps: 4, counters: 3, new NemesisPlan(Kills: 2, Abdications: 1, Pauses: 1, EtcdMemberKills: 1, LeaderIsolations: 1, FollowerIsolations: 1, PartialPartitions: 1));

    /// <summary>The large run: more clients and many more faults (DROVER_SOAK=1; DROVER_HISTORY_KILLS sets the kills).</summary>
    [SoakFact(Timeout = 3_600_000)]
    public Task Soak_acknowledged_writes_survive_many_leader_kills() =>
        RunAsync(clients: 6, apps: 6, counters: 4,
            new NemesisPlan(Kills: int.TryParse(Environment.GetEnvironmentVariable("DROVER_HISTORY_KILLS"), out var k) && k > 0 ? k : 12,
                Abdications: 4, Pauses: 4, EtcdMemberKills: 4, LeaderIsolations: 4, FollowerIsolations: 3, PartialPartitions: 4));

    private const int Agents = 2;
    private const int Servers = 3;

    private async Task RunAsync(int clients, int apps, int counters, NemesisPlan faults)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DROVER_HISTORY_SEED"), out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (DROVER_HISTORY_SEED replays the choices; timing differs): {clients} clients, {apps} apps, {counters} counters, "
            + $"{faults.Kills} leader kills, {faults.Abdications} abdications, {faults.Pauses} leader pauses, {faults.EtcdMemberKills} etcd member kills, "
            + $"{faults.LeaderIsolations} leader isolations, {faults.FollowerIsolations} follower isolations, {faults.PartialPartitions} partial partitions, {Agents} agents");
        var workload = new HistoryWorkload(
            Enumerable.Range(0, apps).Select(i => $"{AppPrefix}/app-{i}").ToList(),
            Enumerable.Range(0, counters).Select(i => $"{KeyPrefix}/counter-{i}").ToList());

        await using var etcd = await EtcdCluster.StartAsync(3);
        await using var links = EtcdLinks.Start(etcd, Servers);
        using var dir = new TempDir("ha-history");
        var servers = new List<DroverProcess>();
        var agents = new List<DroverProcess>();
        var agentDirs = Enumerable.Range(0, Agents).Select(i => dir.Combine($"agent-{i}")).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(x => x.FormatOutput(60))) + "\n" + string.Join("\n", agents.Select(a => a.FormatOutput(40))) + "\n" + etcd.Diagnostics();
        var historyClients = new List<DroverClient>();
        using var stop = new CancellationTokenSource();
        try
        {
            await HaProbes.StartServersAsync(links.Endpoints, dir, servers, Servers);
            for (var i = 0; i < Agents; i++) agents.Add(HaProbes.StartAgent(servers, agentDirs[i], $"history-host-{i}"));
            await HaProbes.AgreedLeaderAsync(http, servers, Diagnostics);
            var urls = servers.Select(x => x.BaseAddress!).ToList();
            for (var i = 0; i < clients; i++) historyClients.Add(ConnectFrom(urls, i));
            var observer = historyClients[0];
            await Eventually.AsyncAssert(async () => (await observer.GetAgentsAsync()).Agents.Count == Agents, TimeSpan.FromSeconds(60), "the agents registered", Diagnostics);

            var clock = Stopwatch.StartNew();
            var running = historyClients.Select((c, i) => Task.Run(() => new HistoryClient(i, c, workload, clock, seed + i).RunAsync(stop.Token))).ToList();
            var nemesis = new LeaderNemesis(etcd, links, dir, servers, http, clock, Diagnostics);
            IReadOnlyList<LeaderFault> caused;
            try
            {
                caused = await nemesis.RunAsync(faults, new Random(seed), f => output.WriteLine(f.ToString()));
            }
            finally
            {
                await stop.CancelAsync();
            }
            var history = (await Task.WhenAll(running)).SelectMany(h => h).OrderBy(o => o.Invoked).ToList();
            var workloadTime = clock.Elapsed;

            var (final, converged) = await ConvergedStateAsync(observer, servers, workload, Diagnostics);
            var violations = HistoryChecker.Check(history, final).ToList();
            if (converged is not null) violations.Add(converged);

            output.WriteLine($"{history.Count} operations in {workloadTime.TotalSeconds:F1} s, converged after {(clock.Elapsed - workloadTime).TotalSeconds:F1} s more; "
                + string.Join(", ", caused.GroupBy(f => f.Kind.Split(' ')[0]).Select(g => $"{g.Count()} × {g.Key}"))
                + $"; a new leader agreed after {caused.Where(NemesisPlan.Deposes).Select(f => f.NewLeaderAfter.TotalSeconds).DefaultIfEmpty().Max():F1} s at worst");
            foreach (var kind in history.GroupBy(o => o.GetType().Name).OrderBy(g => g.Key))
                output.WriteLine($"  {kind.Key,-13} {kind.Count(),5}: {string.Join(", ", Enum.GetValues<Outcome>().Select(x => $"{kind.Count(o => o.Outcome == x)} {x.ToString().ToLowerInvariant()}"))}");
            foreach (var counter in final.Counters.OrderBy(c => c.Key))
                output.WriteLine($"  {counter.Key} = {counter.Value}");
            foreach (var app in final.Apps.OrderBy(a => a.Key))
                output.WriteLine($"  {app.Key}: {app.Value} instances, {final.Tasks.Count(t => t.AppId == app.Key && t.Source == "agent")} tasks on the agents");
            foreach (var error in history.Where(o => o.Outcome == Outcome.Indeterminate).Select(o => o.Error).Distinct().Take(10))
                output.WriteLine($"  indeterminate: {error}");
            output.WriteLine($"{violations.Count} violations");
            Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + Diagnostics());
            // not vacuous: writes of every kind were acknowledged through the faults
            Assert.Contains(history, o => o is CasIncrement { Outcome: Outcome.Ok });
            Assert.Contains(history, o => o is CreateApp { Outcome: Outcome.Ok });
            Assert.Contains(history, o => o is ScaleApp { Outcome: Outcome.Ok });
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var c in historyClients) c.Dispose();
            foreach (var a in agents) await a.DisposeAsync();
            foreach (var x in servers) await x.DisposeAsync();
            foreach (var d in agentDirs) LocalCluster.KillStrayTasks(d);
        }
    }

    /// <summary>
    /// A client of the whole server list (as the CLI's <c>--server a,b,c</c>), starting at server <paramref name="first"/>
    /// so the clients enter through different servers; a 503 "no leader yet" is sent again for a few seconds.
    /// </summary>
    private static DroverClient ConnectFrom(IReadOnlyList<Uri> servers, int first)
    {
        var rotated = servers.Skip(first % servers.Count).Concat(servers.Take(first % servers.Count)).ToList();
        var list = new ServerList(rotated, new SocketsHttpHandler()) { WaitForLeader = TimeSpan.FromSeconds(5) };
        return new DroverClient(list.Seeds[0], token: null, list);
    }

    /// <summary>
    /// Waits until no app has a deployment, every app runs exactly its instances, the agents run exactly the tasks the
    /// servers list, and all three servers read the same counters; then returns what was seen last. Not converging in
    /// time is itself reported (second item), with the state as it was.
    /// </summary>
    private static async Task<(FinalState State, string? NotConverged)> ConvergedStateAsync(DroverClient client, IReadOnlyList<DroverProcess> servers,
        HistoryWorkload workload, Func<string> diagnostics)
    {
        await HaProbes.AgreedLeaderAsync(client.Http, servers, diagnostics);
        var agentHttps = (await client.GetAgentsAsync()).Agents.Select(a =>
        {
            var h = new HttpClient { BaseAddress = new Uri(a.Agent.Endpoint!), Timeout = TimeSpan.FromSeconds(10) };
            h.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DroverProcess.TestJoinToken);
            return h;
        }).ToList();
        var readers = servers.Select(x => new DroverClient(x.BaseAddress!)).ToList();
        FinalState? last = null;
        try
        {
            await Eventually.AsyncAssert(async () =>
            {
                var apps = await client.ListAppsAsync(embedTasks: true);
                var onAgent = new List<Drover.Api.Agents.TaskStatusReport>();
                foreach (var agentHttp in agentHttps)
                    onAgent.AddRange((await agentHttp.GetFromJsonAsync("/tasks", ApiJsonContext.Default.ListTaskStatusReport))!
                        .Where(t => TaskStates.TryParseWire(t.State, out var state) && !state.IsTerminal()));
                var counters = new List<IReadOnlyDictionary<string, long>>();
                foreach (var reader in readers) counters.Add(await CountersAsync(reader, workload));
                last = new FinalState(apps.ToDictionary(a => a.Id, a => a.Instances), counters[0],
                    [.. apps.SelectMany(a => a.Tasks ?? []).Select(t => new ObservedTask("servers", t.AppId, t.Id)),
                     .. onAgent.Select(t => new ObservedTask("agent", t.AppId, t.TaskId))]);
                return apps.All(a => a.Deployments.Count == 0 && a.Tasks?.Count == a.Instances && a.Tasks.All(t => t.State == "TASK_RUNNING"))
                    && apps.SelectMany(a => a.Tasks ?? []).Select(t => t.Id).Order().SequenceEqual(onAgent.Select(t => t.TaskId).Order())
                    && counters.All(c => c.OrderBy(x => x.Key).SequenceEqual(counters[0].OrderBy(x => x.Key)));
            }, TimeSpan.FromSeconds(120), "the cluster converged", diagnostics);
            return (last!, null);
        }
        catch (EventuallyFailedException e) when (last is not null)
        {
            return (last, e.Message);
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
            foreach (var h in agentHttps) h.Dispose();
        }
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountersAsync(DroverClient reader, HistoryWorkload workload)
    {
        var values = new Dictionary<string, long>();
        foreach (var key in workload.CounterKeys)
        {
            if (await reader.KvGetAsync(key) is { } pair) values[key] = HistoryWorkload.CounterValue(pair);
        }
        return values;
    }
}
