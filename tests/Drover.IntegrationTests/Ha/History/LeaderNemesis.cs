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

/// <summary>The faults the nemesis mixes: how many of each in one run.</summary>
public sealed record NemesisPlan(int Kills, int Abdications, int Pauses = 0, int EtcdMemberKills = 0,
    int LeaderIsolations = 0, int FollowerIsolations = 0, int PartialPartitions = 0)
{
    public int Total => Kills + Abdications + Pauses + EtcdMemberKills + LeaderIsolations + FollowerIsolations + PartialPartitions;

    /// <summary>Whether a fault of this kind deposes the leader (and its new-leader time counts as a failover).</summary>
    public static bool Deposes(LeaderFault f) => f.Kind.StartsWith("SIGKILL", StringComparison.Ordinal) || f.Kind.StartsWith("SIGSTOP", StringComparison.Ordinal)
        || f.Kind.StartsWith("isolate-leader", StringComparison.Ordinal);
}

/// <summary>
/// Jepsen's nemesis for the HA history test, with a little ordinary running time between faults:
/// <list type="bullet">
/// <item>SIGKILL of the leader server (then the same server starts again on its port and data dir);</item>
/// <item><c>DELETE /v2/leader</c>;</item>
/// <item>SIGSTOP of the leader server until the others have agreed on a new leader, then SIGCONT: the old leader wakes
/// up believing it leads, with writes in flight, and only the fence on its transactions keeps them out (the case
/// Kleppmann's "How to do distributed locking" is about: a process paused past its lease);</item>
/// <item>SIGKILL of one etcd member (any of them, the etcd leader too) for a few seconds, then a restart on its data:
/// a quorum remains, so writes go on.</item>
/// <item>Network partitions through <see cref="EtcdLinks"/> (each server reaches each etcd member through its own
/// <see cref="FaultProxy"/>), each link refused or blackholed at random: the leader cut from every member (its lease
/// expires, another is elected, and it must stop claiming to lead while still cut off; the fence keeps out any write
/// it still sends), a follower cut from every member, and a partial partition (the leader reaches 1 of the 3 members,
/// which still has the quorum: it may keep leading). Each heals after a few seconds.</item>
/// </list>
/// <see cref="Servers"/> is the caller's list; a restarted server replaces the killed one in it.
/// </summary>
internal sealed class LeaderNemesis(EtcdCluster etcd, EtcdLinks links, TempDir dir, List<DroverProcess> servers, HttpClient http, Stopwatch clock,
    Func<string> diagnostics)
{
    /// <summary>How long a leader cut off from etcd may go on naming itself leader: its lease (3 s) and the store's two missed quorum probes (up to 3 s each when blackholed), with room for a loaded machine.</summary>
    private static readonly TimeSpan StepDownDeadline = TimeSpan.FromSeconds(30);

    private enum Fault { Kill, Abdicate, Pause, EtcdMember, IsolateLeader, IsolateFollower, PartialPartition }

    public List<DroverProcess> Servers => servers;

    /// <summary>Causes the faults of <paramref name="plan"/> in a shuffled order.</summary>
    public async Task<IReadOnlyList<LeaderFault>> RunAsync(NemesisPlan plan, Random random, Action<LeaderFault> onFault)
    {
        var order = Enumerable.Repeat(Fault.Kill, plan.Kills).Concat(Enumerable.Repeat(Fault.Abdicate, plan.Abdications))
            .Concat(Enumerable.Repeat(Fault.Pause, plan.Pauses)).Concat(Enumerable.Repeat(Fault.EtcdMember, plan.EtcdMemberKills))
            .Concat(Enumerable.Repeat(Fault.IsolateLeader, plan.LeaderIsolations)).Concat(Enumerable.Repeat(Fault.IsolateFollower, plan.FollowerIsolations))
            .Concat(Enumerable.Repeat(Fault.PartialPartition, plan.PartialPartitions))
            .OrderBy(_ => random.Next()).ToList();
        var faults = new List<LeaderFault>();
        foreach (var fault in order)
        {
            // the clients run against a settled cluster for a moment before each fault
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 2500)));
            var leader = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
            var index = servers.FindIndex(s => HaProbes.HostPort(s) == leader);
            var at = clock.Elapsed;
            var record = fault switch
            {
                Fault.Kill => await KillAsync(index, leader, at),
                Fault.Abdicate => await AbdicateAsync(servers[index], leader, at),
                Fault.Pause => await PauseAsync(index, leader, at, random),
                Fault.IsolateLeader => await IsolateLeaderAsync(index, leader, at, random),
                Fault.IsolateFollower => await IsolateFollowerAsync((index + 1 + random.Next(servers.Count - 1)) % servers.Count, at, random),
                Fault.PartialPartition => await PartialPartitionAsync(index, leader, at, random),
                _ => await KillEtcdMemberAsync(random.Next(etcd.Size), at, random),
            };
            faults.Add(record);
            onFault(record);
        }
        await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return faults;
    }

    private async Task<LeaderFault> KillAsync(int index, string leader, TimeSpan at)
    {
        await servers[index].KillAsync(UnixSignal.Kill);
        var next = await HaProbes.AgreedLeaderAsync(http, Others(index), diagnostics);
        var fault = new LeaderFault("SIGKILL", leader, at, clock.Elapsed - at, next);
        var killed = servers[index];
        var port = killed.BaseAddress!.Port;
        await killed.DisposeAsync();
        servers[index] = await HaProbes.StartServerAsync(links.Endpoints(index), dir, index, port);
        return fault;
    }

    /// <summary>Frozen past its lease: the others elect a new leader; then it wakes, and must neither write nor keep leading.</summary>
    private async Task<LeaderFault> PauseAsync(int index, string leader, TimeSpan at, Random random)
    {
        var paused = servers[index];
        await paused.KillAsync(UnixSignal.Stop);
        try
        {
            var next = await HaProbes.AgreedLeaderAsync(http, Others(index), diagnostics);
            var fault = new LeaderFault("SIGSTOP", leader, at, clock.Elapsed - at, next);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(200, 1500))); // the new leader writes meanwhile
            return fault;
        }
        finally
        {
            await paused.KillAsync(UnixSignal.Cont);
        }
    }

    /// <summary>
    /// DELETE /v2/leader. A refusal (the server lost leadership just before, say) is part of the chaos, not a test
    /// failure: it is named in the fault's kind, and the run goes on.
    /// </summary>
    private async Task<LeaderFault> AbdicateAsync(DroverProcess leaderProcess, string leader, TimeSpan at)
    {
        string kind;
        try
        {
            using var r = await http.DeleteAsync(new Uri(leaderProcess.BaseAddress!, "/v2/leader"));
            kind = r.IsSuccessStatusCode ? "abdication" : $"abdication refused ({(int)r.StatusCode} {await r.Content.ReadAsStringAsync()})";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            kind = $"abdication unanswered ({e.Message})";
        }
        var next = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return new LeaderFault(kind, leader, at, clock.Elapsed - at, next);
    }

    /// <summary>One etcd member down for a few seconds: a quorum of 2 of 3 remains. The time is until it is healthy again.</summary>
    private async Task<LeaderFault> KillEtcdMemberAsync(int member, TimeSpan at, Random random)
    {
        etcd.Kill(member);
        await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 4000)));
        etcd.Restart(member);
        await etcd.WaitHealthyAsync(TimeSpan.FromSeconds(60), member);
        var leader = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return new LeaderFault("etcd member SIGKILL", $"etcd member {member}", at, clock.Elapsed - at, leader);
    }

    /// <summary>
    /// The leader cut off from every etcd member: the others elect a new leader once its lease expires, and it must
    /// stop naming itself leader while still cut off (its /v2/leader answers no leader, or names the new one). Then
    /// the links heal and it rejoins as a follower.
    /// </summary>
    private async Task<LeaderFault> IsolateLeaderAsync(int index, string leader, TimeSpan at, Random random)
    {
        var fault = RandomLinkFault(random);
        links.Cut(index, Enumerable.Range(0, etcd.Size), fault);
        try
        {
            var next = await HaProbes.AgreedLeaderAsync(http, Others(index), diagnostics);
            var electedAfter = clock.Elapsed - at;
            await Eventually.AsyncAssert(async () => await HaProbes.LeaderSeenByAsync(http, servers[index]) != leader, StepDownDeadline,
                $"the leader {leader}, cut off from etcd ({fault}), stops naming itself leader", diagnostics);
            var steppedDown = clock.Elapsed - at;
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 2000))); // the new leader writes while the old one is still cut off
            return new LeaderFault($"isolate-leader ({fault}; it stopped naming itself leader after {steppedDown.TotalSeconds:F1} s)", leader, at, electedAfter, next);
        }
        finally
        {
            links.Heal(index);
        }
    }

    /// <summary>A follower cut off from every etcd member for a few seconds: its writes are refused (not applied), the leader goes on.</summary>
    private async Task<LeaderFault> IsolateFollowerAsync(int index, TimeSpan at, Random random)
    {
        var fault = RandomLinkFault(random);
        links.Cut(index, Enumerable.Range(0, etcd.Size), fault);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 5000)));
        }
        finally
        {
            links.Heal(index);
        }
        var leader = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return new LeaderFault($"isolate-follower ({fault})", HaProbes.HostPort(servers[index]), at, clock.Elapsed - at, leader);
    }

    /// <summary>
    /// The leader reaches only one etcd member (which still has the quorum) for a few seconds: its requests must find
    /// that member; whether it keeps leading is up to how its lease renewals fare, and either is correct.
    /// </summary>
    private async Task<LeaderFault> PartialPartitionAsync(int index, string leader, TimeSpan at, Random random)
    {
        var fault = RandomLinkFault(random);
        var reachable = random.Next(etcd.Size);
        links.Cut(index, Enumerable.Range(0, etcd.Size).Where(m => m != reachable), fault);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(3000, 6000)));
        }
        finally
        {
            links.Heal(index);
        }
        var next = await HaProbes.AgreedLeaderAsync(http, servers, diagnostics);
        return new LeaderFault($"partial-partition ({fault}; reaching only etcd member {reachable}{(next == leader ? "; kept leading" : "")})", leader, at,
            clock.Elapsed - at, next);
    }

    private static LinkFault RandomLinkFault(Random random) => random.Next(2) == 0 ? LinkFault.Refuse : LinkFault.Blackhole;

    private List<DroverProcess> Others(int index) => servers.Where((_, i) => i != index).ToList();
}
