using System.Text.Json.Nodes;
using Drover.Server.Events;
using Drover.State;
using Microsoft.Extensions.Logging.Abstractions;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>Events are stored with the write that causes them and streamed by every server's projector, in store order.</summary>
public sealed class EventProjectorTests
{
    private static readonly Collection<Core.Cluster.AgentInfo> Agents = Schema.Agents;

    [Fact(Timeout = 20000)]
    public async Task A_server_streams_the_events_of_writes_another_server_made_in_store_order()
    {
        var time = TimeProvider.System;
        var log = new ServerLog(NullLogger<ServerLog>.Instance);
        await using var store = new InMemoryStateStore();
        // two servers on one store: each has its own writer, bus and projector
        var (writerA, writerB) = (new StateWriter(store), new StateWriter(store));
        var (busA, busB) = (new EventBus(time, log), new EventBus(time, log));
        using var subA = busA.Subscribe("a", new HashSet<string>());
        using var subB = busB.Subscribe("b", new HashSet<string>());
        using var projA = new EventProjector(store, busA, time, log);
        using var projB = new EventProjector(store, busB, time, log);
        await projA.StartAsync(CancellationToken.None);
        await projB.StartAsync(CancellationToken.None);

        for (var i = 0; i < 20; i++)
        {
            var writer = i % 2 == 0 ? writerA : writerB;
            var n = i;
            await writer.UpdateAsync((_, fx) =>
            {
                fx.Publish(busA.Render("app_terminated_event", new JsonObject { ["appId"] = "/app" + n }));
                return [];
            });
        }
        var expected = Enumerable.Range(0, 20).Select(i => "/app" + i).ToList();
        Assert.Equal(expected, await ReadAppIds(subA, 20));
        Assert.Equal(expected, await ReadAppIds(subB, 20));
        await projA.StopAsync(CancellationToken.None);
        await projB.StopAsync(CancellationToken.None);
    }

    [Fact(Timeout = 20000)]
    public async Task The_event_log_keeps_only_the_latest_batches()
    {
        var bus = new EventBus(TimeProvider.System, new ServerLog(NullLogger<ServerLog>.Instance));
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        for (var i = 0; i < EventLog.Capacity + 10; i++)
        {
            var n = i;
            await writer.UpdateAsync((_, fx) =>
            {
                fx.Publish(bus.Render("app_terminated_event", new JsonObject { ["appId"] = "/app" + n }));
                return [StateOp.Put(Agents, "a", Agent())];
            });
        }
        var kept = writer.Current.Entries(Schema.EventLog.Name);
        Assert.Equal(EventLog.Capacity, kept.Count);
        var oldest = StateSnapshot.Decode(Schema.EventLog, kept.Values.MinBy(e => e.ModifyIndex)!);
        Assert.Contains("\"/app10\"", oldest.Events[0].Json);
    }

    [Fact(Timeout = 20000)]
    public async Task A_projector_that_fell_behind_the_pruned_log_ends_its_streams()
    {
        var time = TimeProvider.System;
        var log = new ServerLog(NullLogger<ServerLog>.Instance);
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var bus = new EventBus(time, log);
        using var behind = new EventProjector(store, bus, time, log); // built now, then left behind
        using var lagging = bus.Subscribe("lagging", new HashSet<string>());
        for (var i = 0; i < EventLog.Capacity + 5; i++)
            await writer.UpdateAsync((_, fx) =>
            {
                fx.Publish(bus.Render("app_terminated_event", new JsonObject { ["appId"] = "/app" }));
                return [];
            });

        behind.Project(writer.Current); // the first 5 batches written after it was built are gone

        await lagging.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5)); // ended, not left with a silent hole
        Assert.Equal(0, bus.SubscriberCount);
    }

    [Fact(Timeout = 20000)]
    public async Task Sequences_follow_on_without_gaps_while_a_projector_keeps_up()
    {
        var time = TimeProvider.System;
        var log = new ServerLog(NullLogger<ServerLog>.Instance);
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        var bus = new EventBus(time, log);
        using var projector = new EventProjector(store, bus, time, log);
        using var sub = bus.Subscribe("s", new HashSet<string>());
        for (var i = 0; i < EventLog.Capacity + 50; i++)
        {
            var n = i;
            await writer.UpdateAsync((_, fx) =>
            {
                fx.Publish(bus.Render("app_terminated_event", new JsonObject { ["appId"] = "/app" + n }));
                return [];
            });
            projector.Project(writer.Current);
            while (sub.Reader.TryRead(out _)) { } // a reader that keeps up
        }
        Assert.Equal(1, bus.SubscriberCount); // never dropped: pruning only took batches it had streamed
        Assert.Equal(EventLog.Capacity + 50, EventLog.LatestSequence(writer.Current));
    }

    [Fact(Timeout = 20000)]
    public async Task A_write_without_events_stores_none()
    {
        await using var store = new InMemoryStateStore();
        var writer = new StateWriter(store);
        await writer.UpdateAsync(_ => [StateOp.Put(Agents, "a", Agent())]);
        Assert.Empty(writer.Current.Entries(Schema.EventLog.Name));
    }

    private static async Task<List<string>> ReadAppIds(EventBus.Subscriber sub, int count)
    {
        var ids = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (ids.Count < count)
        {
            var evt = await sub.Reader.ReadAsync(cts.Token);
            ids.Add(JsonNode.Parse(evt.Json)!["appId"]!.GetValue<string>());
        }
        return ids;
    }

    private static Core.Cluster.AgentInfo Agent() => new()
    {
        Id = "a",
        Hostname = "h",
        Resources = new Core.Cluster.AgentResources { Cpus = 1, MemMb = 1, DiskMb = 1 },
        RegisteredAt = "2030-01-01T00:00:00.000Z",
        LastSeenAt = "2030-01-01T00:00:00.000Z",
    };
}
