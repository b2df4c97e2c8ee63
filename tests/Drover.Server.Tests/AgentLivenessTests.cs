using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Scheduling.Liveness;
using Drover.Server.Agents;
using Drover.Server.Storage;
using Drover.State;
using Drover.State.Tests;

namespace Drover.Server.Tests;

/// <summary>Agents' last-seen times in the store: batched writes, and a restarted server seeding its clocks from them.</summary>
public class AgentLivenessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private static T Service<T>(TestServer t) => (T)t.Server.Services.GetService(typeof(T))!;

    private static Task<int> FlushAsync(TestServer t) => Service<AgentLivenessRecorder>(t).FlushAsync(CancellationToken.None);

    private static Task<AgentInfo> AgentAsync(TestServer t, string id, Func<AgentInfo, bool> ok, string because) =>
        Eventually.Get(async () => (await t.Client.GetAgentsAsync()).Agents.Single(a => a.Agent.Id == id).Agent, ok, because);

    /// <summary>
    /// A first server's term: agents "dead" and "alive" register and are heard 1 s later, then only "alive" is heard,
    /// <paramref name="aliveFor"/> after that; each time is stored (flushed) before the server stops.
    /// </summary>
    private static async Task<(string Dead, string Alive)> FirstTermAsync(ServerOptions options, ManualTimeProvider time, TimeSpan aliveFor)
    {
        await using var first = await TestServer.StartAsync(options, time);
        var dead = await first.RegisterAgentAsync("dead");
        var alive = await first.RegisterAgentAsync("alive");
        time.Advance(TimeSpan.FromSeconds(1));
        await first.Client.HeartbeatAsync(dead, new AgentHeartbeat());
        await first.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        Assert.Equal(2, await FlushAsync(first));
        time.Advance(aliveFor);
        await first.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        Assert.Equal(1, await FlushAsync(first));
        return (dead, alive);
    }

    [Fact(Timeout = 60000)]
    public async Task OneWriteCarriesEveryAgentWhoseTimeMovedAndNothingIsWrittenWhenNoneDid()
    {
        var time = new ManualTimeProvider(T0);
        // the flush interval is far away: only the test's own flushes write
        await using var t = await TestServer.StartAsync(new ServerOptions { AgentTimeout = Grace, LivenessFlushInterval = TimeSpan.FromHours(1) }, time);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await t.RegisterAgentAsync($"host-{i}"));
        time.Advance(TimeSpan.FromSeconds(1));
        foreach (var id in ids) await t.Client.HeartbeatAsync(id, new AgentHeartbeat());

        Assert.Equal(3, await FlushAsync(t));
        Assert.All(ids, id => Assert.Equal(MarathonTime.ToWire(T0 + TimeSpan.FromSeconds(1)), t.Writer.Current.Get(Schema.AgentLastSeen, id)!.LastSeenAt));
        var index = t.Writer.Current.Index;
        Assert.Equal(0, await FlushAsync(t));
        Assert.Equal(index, t.Writer.Current.Index);

        time.Advance(TimeSpan.FromSeconds(1));
        await t.Client.HeartbeatAsync(ids[1], new AgentHeartbeat());
        Assert.Equal(1, await FlushAsync(t));
        Assert.Equal(MarathonTime.ToWire(T0 + TimeSpan.FromSeconds(2)), t.Writer.Current.Get(Schema.AgentLastSeen, ids[1])!.LastSeenAt);
        // every server lists the stored time, not the registration's
        var listed = await AgentAsync(t, ids[1], _ => true, "listed");
        Assert.Equal(MarathonTime.ToWire(T0 + TimeSpan.FromSeconds(2)), listed.LastSeenAt);

        // an agent no longer registered drops out of the collection
        await t.Writer.UpdateAsync(_ => [StateOp.Delete(Schema.Agents, ids[2])]);
        Assert.Equal(1, await FlushAsync(t));
        Assert.Null(t.Writer.Current.Get(Schema.AgentLastSeen, ids[2]));
        Assert.Equal(2, t.Writer.Current.All(Schema.AgentLastSeen).Count());
    }

    [Fact(Timeout = 90000)]
    public async Task ARestartedServerGivesADeadAgentOnlyTheRestOfItsGraceAndALiveOneKeepsRunning()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        var options = new ServerOptions { DataDir = dir.Path, AgentTimeout = Grace, LivenessFlushInterval = TimeSpan.FromHours(1) };
        // "dead" falls silent; the server hears "alive" for 12 s more, then stops
        var (dead, alive) = await FirstTermAsync(options, time, TimeSpan.FromSeconds(12));

        // down for 20 s: no server listened then, so that does not count; "dead" was silent 12 s while one did, and has
        // 18 s of its 30 s grace left, neither a fresh 30 s nor the 30 − 32 (the settle window) that counting the outage gives
        time.Advance(TimeSpan.FromSeconds(20));
        await using var t = await TestServer.StartAsync(options, time);
        var restartedAt = time.GetUtcNow();
        var liveness = Service<AgentLiveness>(t);
        Assert.Equal(restartedAt - TimeSpan.FromSeconds(12), liveness.LastSeen(dead));
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());

        for (var s = 0; s < 16; s += 4) // 16 s: 28 s of silence that counts
        {
            time.Advance(TimeSpan.FromSeconds(4));
            await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        }
        Assert.True(time.GetUtcNow() - liveness.LastSeen(dead) < Grace, "still within what was left of its grace");
        Assert.Equal(AgentStatus.Active, (await AgentAsync(t, dead, _ => true, "listed")).Status);

        time.Advance(TimeSpan.FromSeconds(4)); // 20 s after the restart: 32 s of silence that counts
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        await AgentAsync(t, dead, a => a.Status == AgentStatus.Unreachable, "the dead agent marked unreachable 20 s after the restart, not 30 s");
        Assert.Equal(AgentStatus.Active, (await AgentAsync(t, alive, _ => true, "listed")).Status);
    }

    /// <summary>The CI case: a server restart that took a while must not cost a live agent its tasks.</summary>
    [Fact(Timeout = 60000)]
    public async Task ALongRestartGivesAnAgentHeardUntilTheEndItsWholeGrace()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        var options = new ServerOptions { DataDir = dir.Path, AgentTimeout = Grace, LivenessFlushInterval = TimeSpan.FromHours(1) };
        string agent;
        await using (var first = await TestServer.StartAsync(options, time))
        {
            agent = await first.RegisterAgentAsync("agent");
            Assert.Equal(1, await FlushAsync(first));
        }
        time.Advance(TimeSpan.FromMinutes(10));
        await using var t = await TestServer.StartAsync(options, time);
        Assert.Equal(time.GetUtcNow(), Service<AgentLiveness>(t).LastSeen(agent));
        time.Advance(Grace - TimeSpan.FromSeconds(1));
        Assert.Equal(AgentStatus.Active, (await AgentAsync(t, agent, _ => true, "listed")).Status);
    }

    [Fact(Timeout = 60000)]
    public async Task AnAgentLongPastItsGraceAtTheRestartIsGivenOnlyTheSettleWindow()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        var options = new ServerOptions { DataDir = dir.Path, AgentTimeout = Grace, LivenessFlushInterval = TimeSpan.FromHours(1) };
        string dead, alive;
        await using (var first = await TestServer.StartAsync(options, time))
        {
            dead = await first.RegisterAgentAsync("dead");
            alive = await first.RegisterAgentAsync("alive");
            Assert.Equal(2, await FlushAsync(first));
            time.Advance(TimeSpan.FromMinutes(5)); // the server hears only "alive" for 5 minutes
            await first.Client.HeartbeatAsync(alive, new AgentHeartbeat());
            Assert.Equal(1, await FlushAsync(first));
        }
        time.Advance(TimeSpan.FromMinutes(10));
        await using var t = await TestServer.StartAsync(options, time);
        var restartedAt = time.GetUtcNow();
        Assert.Equal(restartedAt - Grace + LivenessSeed.SettleWindow, Service<AgentLiveness>(t).LastSeen(dead));
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        time.Advance(LivenessSeed.SettleWindow + TimeSpan.FromSeconds(1));
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        await AgentAsync(t, dead, a => a.Status == AgentStatus.Unreachable, "marked unreachable once the settle window passed");
        Assert.Equal(AgentStatus.Active, (await AgentAsync(t, alive, _ => true, "listed")).Status);
    }

    /// <summary>
    /// After a failover the grace counts from the seeded clock start, but that is not when the agent was heard: the
    /// agent it marks unreachable shows the last-seen time its predecessor stored (what expungeAfterSeconds counts from).
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task AnAgentMarkedUnreachableAfterARestartShowsWhenItWasLastHeardNotWhereItsGraceWasCounted()
    {
        using var dir = new TempDirectory();
        var time = new ManualTimeProvider(T0);
        var options = new ServerOptions { DataDir = dir.Path, AgentTimeout = Grace, LivenessFlushInterval = TimeSpan.FromHours(1) };
        var heard = T0 + TimeSpan.FromSeconds(1);
        var (dead, alive) = await FirstTermAsync(options, time, TimeSpan.FromMinutes(5)); // the server hears only "alive" for 5 minutes
        time.Advance(TimeSpan.FromMinutes(10));
        await using var t = await TestServer.StartAsync(options, time);
        var liveness = Service<AgentLiveness>(t);
        Assert.Equal(heard, liveness.TrueLastSeen(dead));
        Assert.NotEqual(heard, liveness.LastSeen(dead)); // the seeded clock start: the settle window before the deadline
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());
        time.Advance(LivenessSeed.SettleWindow + TimeSpan.FromSeconds(1));
        await t.Client.HeartbeatAsync(alive, new AgentHeartbeat());

        var listed = await AgentAsync(t, dead, a => a.Status == AgentStatus.Unreachable, "marked unreachable once the settle window passed");
        Assert.Equal(MarathonTime.ToWire(heard), t.Writer.Current.Get(Schema.Agents, dead)!.LastSeenAt);
        Assert.Equal(MarathonTime.ToWire(heard), listed.LastSeenAt);
        Assert.Equal(time.GetUtcNow(), liveness.TrueLastSeen(alive)); // heard this term: that time
        Assert.Null(liveness.TrueLastSeen("never-registered"));
    }
}
