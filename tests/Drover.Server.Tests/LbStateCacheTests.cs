using System.Collections.Immutable;
using System.Text.Json;
using Drover.Api.LoadBalancing;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.LoadBalancing;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>
/// The lb state cache re-renders only the apps whose sources changed, and every change that matters to routing
/// (health, drain, labels, tasks added and removed, an agent's address) moves the index; nothing else does.
/// </summary>
public sealed class LbStateCacheTests
{
    /// <summary>A store stand-in: each write makes a new snapshot in which untouched entries are the same objects, as the real store's are.</summary>
    private sealed class Store
    {
        private ImmutableDictionary<string, ImmutableSortedDictionary<string, StateEntry>> _collections =
            ImmutableDictionary<string, ImmutableSortedDictionary<string, StateEntry>>.Empty;
        private long _index;

        public StateSnapshot Current { get; private set; } = StateSnapshot.Empty;

        public StateSnapshot Put<T>(Collection<T> c, string key, T value) where T : class => Write(c.Name, m => m.SetItem(key, new StateEntry(key, c.Serialize(value), _index + 1, _index + 1)));

        public StateSnapshot Delete<T>(Collection<T> c, string key) where T : class => Write(c.Name, m => m.Remove(key));

        public StateSnapshot Write(string collection, Func<ImmutableSortedDictionary<string, StateEntry>, ImmutableSortedDictionary<string, StateEntry>> change)
        {
            var before = _collections.TryGetValue(collection, out var m) ? m : ImmutableSortedDictionary.Create<string, StateEntry>(StringComparer.Ordinal);
            _collections = _collections.SetItem(collection, change(before));
            return Current = new StateSnapshot(++_index, _collections);
        }
    }

    private static AppDefinition App(string id, string vhost, bool healthChecks = false) => new()
    {
        Id = id,
        Version = "2026-01-01T00:00:00.000Z",
        Labels = new Dictionary<string, string> { ["HAPROXY_0_VHOST"] = vhost },
        PortDefinitions = [new PortDefinition { Port = 10000 }],
        HealthChecks = healthChecks ? [new HealthCheckDefinition { Protocol = "HTTP", Path = "/" }] : [],
    };

    private static TaskRecord Task(string app, string id, int port, string agent = "a1") => new()
    {
        Id = id, AppId = app, AgentId = agent, Host = "node-" + agent, State = TaskState.Running, Version = "2026-01-01T00:00:00.000Z",
        StagedAt = "2026-01-01T00:00:00.000Z", Ports = [port],
    };

    private static AgentInfo Agent(string id, string address) => new()
    {
        Id = id, Hostname = "node-" + id, Address = address, Resources = new AgentResources(),
        RegisteredAt = "2026-01-01T00:00:00.000Z", LastSeenAt = "2026-01-01T00:00:00.000Z",
    };

    /// <summary>Two apps with two tasks each on one agent.</summary>
    private static Store Cluster()
    {
        var s = new Store();
        s.Put(Schema.Agents, "a1", Agent("a1", "10.0.0.1"));
        s.Put(Schema.Apps, "/one", App("/one", "one.test", healthChecks: true));
        s.Put(Schema.Apps, "/two", App("/two", "two.test"));
        s.Put(Schema.Tasks, "t1", Task("/one", "t1", 31001));
        s.Put(Schema.Tasks, "t2", Task("/one", "t2", 31002));
        s.Put(Schema.Tasks, "t3", Task("/two", "t3", 31003));
        s.Put(Schema.Tasks, "t4", Task("/two", "t4", 31004));
        return s;
    }

    [Fact]
    public void TheSplicedBodyIsExactlyTheSerializedState()
    {
        var s = Cluster();
        var cache = new LbStateCache();
        var entry = cache.Get(s.Current);
        var whole = JsonSerializer.SerializeToUtf8Bytes(new LbState { Index = entry.Index, Apps = LbStateBuilder.Build(s.Current) }, LbJsonContext.Default.LbState);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(whole), System.Text.Encoding.UTF8.GetString(entry.Body));
        var state = JsonSerializer.Deserialize(entry.Body, LbJsonContext.Default.LbState)!;
        Assert.Equal(["/one", "/two"], state.Apps.Select(a => a.Id));
        Assert.Equal("10.0.0.1", state.Apps[0].Tasks[0].Address);
    }

    public static TheoryData<string> Changes => ["health", "drain", "labels", "task added", "task removed", "task state", "agent address"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void EveryRoutingChangeMovesTheIndexAndReRendersOnlyItsApp(string change)
    {
        var s = Cluster();
        var cache = new LbStateCache();
        var before = cache.Get(s.Current);
        var renders = cache.AppRenders;
        var t1 = Task("/one", "t1", 31001);
        switch (change)
        {
            case "health": s.Put(Schema.Tasks, "t1", t1 with { HealthCheckResults = [new HealthCheckResult { Alive = true, Status = "passing" }] }); break;
            case "drain": s.Put(Schema.Tasks, "t1", t1 with { KillRequested = true, Draining = true }); break;
            case "labels": s.Put(Schema.Apps, "/one", App("/one", "uno.test", healthChecks: true)); break;
            case "task added": s.Put(Schema.Tasks, "t5", Task("/one", "t5", 31005)); break;
            case "task removed": s.Delete(Schema.Tasks, "t1"); break;
            case "task state": s.Put(Schema.Tasks, "t1", t1 with { State = TaskState.Killing }); break;
            case "agent address": s.Put(Schema.Agents, "a1", Agent("a1", "10.0.0.9")); break;
        }
        var after = cache.Get(s.Current);
        Assert.True(after.Index > before.Index, $"{change}: the index stays at {before.Index}");
        var state = JsonSerializer.Deserialize(after.Body, LbJsonContext.Default.LbState)!;
        Assert.Equal(after.Index, state.Index);
        // an agent's address touches both apps (their tasks run there); everything else only /one
        Assert.Equal(change == "agent address" ? 2 : 1, cache.AppRenders - renders);
        var whole = JsonSerializer.SerializeToUtf8Bytes(new LbState { Index = after.Index, Apps = LbStateBuilder.Build(s.Current) }, LbJsonContext.Default.LbState);
        Assert.Equal(whole, after.Body);
    }

    [Fact]
    public void WritesThatDoNotRouteLeaveTheIndexAndRenderNothing()
    {
        var s = Cluster();
        var cache = new LbStateCache();
        var before = cache.Get(s.Current);
        var renders = cache.AppRenders;
        s.Put(Schema.AppVersions, "/one@v", App("/one", "one.test"));       // another collection
        s.Put(Schema.Agents, "a1", Agent("a1", "10.0.0.1") with { LastSeenAt = "2026-01-01T00:00:05.000Z" }); // a heartbeat, same address
        var after = cache.Get(s.Current);
        Assert.Equal(before.Index, after.Index);
        Assert.Same(before.Body, after.Body);
        Assert.Equal(renders, cache.AppRenders);

        // a task rewritten with nothing the lb sees changed: re-rendered, found identical, the index stays
        s.Put(Schema.Tasks, "t3", Task("/two", "t3", 31003) with { StartedAt = "2026-01-01T00:00:01.000Z" });
        var same = cache.Get(s.Current);
        Assert.Equal(before.Index, same.Index);
        Assert.Equal(renders + 1, cache.AppRenders);
    }

    [Fact]
    public void ANewAppAndARemovedAppAreRoutingChanges()
    {
        var s = Cluster();
        var cache = new LbStateCache();
        var first = cache.Get(s.Current);
        s.Put(Schema.Apps, "/three", App("/three", "three.test"));
        var added = cache.Get(s.Current);
        Assert.True(added.Index > first.Index);
        Assert.Equal(["/one", "/three", "/two"], JsonSerializer.Deserialize(added.Body, LbJsonContext.Default.LbState)!.Apps.Select(a => a.Id));
        s.Delete(Schema.Apps, "/two");
        var removed = cache.Get(s.Current);
        Assert.True(removed.Index > added.Index);
        Assert.Equal(["/one", "/three"], JsonSerializer.Deserialize(removed.Body, LbJsonContext.Default.LbState)!.Apps.Select(a => a.Id));
    }
}
