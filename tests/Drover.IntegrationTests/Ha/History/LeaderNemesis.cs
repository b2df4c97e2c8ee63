using System.Diagnostics;
using System.Net.Http.Json;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;

namespace Drover.IntegrationTests.Ha.History;

/// <summary>One fault the nemesis caused: whom it deposed, how, when, and how long until another leader was agreed.</summary>
public sealed record LeaderFault(string Kind, string Leader, TimeSpan At, TimeSpan NewLeaderAfter, string NewLeader)
{
    public override string ToString() => $"{At.TotalSeconds,6:F1} s  {Kind} of {Leader} → {NewLeader} agreed after {NewLeaderAfter.TotalSeconds:F1} s";
}

/// <summary>
/// Jepsen's nemesis for the HA history test: deposes the leader server over and over, by SIGKILL (then starts the
/// same server again on its port and data dir) or by <c>DELETE /v2/leader</c>, with a little ordinary running time
/// between faults. <see cref="Servers"/> is the caller's list; a restarted server replaces the killed one in it.
/// </summary>
internal sealed class LeaderNemesis(EtcdCluster etcd, TempDir dir, List<DroverProcess> servers, HttpClient http, Stopwatch clock, Func<string> diagnostics)
{
    public List<DroverProcess> Servers => servers;

    /// <summary>Kills the leader <paramref name="kills"/> times and makes it abdicate <paramref name="abdications"/> times, shuffled.</summary>
    public async Task<IReadOnlyList<LeaderFault>> RunAsync(int kills, int abdications, Random random, Action<LeaderFault> onFault)
    {
        var plan = Enumerable.Repeat(true, kills).Concat(Enumerable.Repeat(false, abdications)).OrderBy(_ => random.Next()).ToList();
        var faults = new List<LeaderFault>();
        foreach (var kill in plan)
        {
            // the clients run against a settled cluster for a moment before each fault
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 2500)));
            var leader = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
            var index = servers.FindIndex(s => HaProbes.HostPort(s) == leader);
            var at = clock.Elapsed;
            var kind = "SIGKILL";
            if (kill) await servers[index].KillAsync(UnixSignal.Kill);
            else kind = await AbdicateAsync(servers[index]);
            var survivors = kill ? servers.Where((_, i) => i != index).ToList() : servers;
            var next = await HaProbes.AgreedLeaderAsync(http, survivors, diagnostics);
            var fault = new LeaderFault(kind, leader, at, clock.Elapsed - at, next);
            faults.Add(fault);
            onFault(fault);
            if (kill) await RestartAsync(index);
        }
        await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return faults;
    }

    private async Task RestartAsync(int index)
    {
        var killed = servers[index];
        var port = killed.BaseAddress!.Port;
        await killed.DisposeAsync();
        servers[index] = await HaProbes.StartServerAsync(etcd, dir, index, port);
    }

    /// <summary>
    /// DELETE /v2/leader. A refusal (the server lost leadership just before, say) is part of the chaos, not a test
    /// failure: it is named in the fault's kind, and the run goes on.
    /// </summary>
    private async Task<string> AbdicateAsync(DroverProcess leader)
    {
        try
        {
            using var r = await http.DeleteAsync(new Uri(leader.BaseAddress!, "/v2/leader"));
            return r.IsSuccessStatusCode ? "abdication" : $"abdication refused ({(int)r.StatusCode} {await r.Content.ReadAsStringAsync()})";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"abdication unanswered ({e.Message})";
        }
    }
}
