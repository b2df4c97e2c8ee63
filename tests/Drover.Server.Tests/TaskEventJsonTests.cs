using System.Text.Json.Nodes;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Server.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Server.Tests;

/// <summary>Task status events are written straight to JSON; the text is what the JsonObject rendering of the same fields gives.</summary>
public sealed class TaskEventJsonTests
{
    [Theory]
    [InlineData("plain", "")]
    [InlineData("quo\"te\\back+slash <b>&amp; 'x' é ✓ \u0001", "exited with code 1: fatal: \"x\" <y> é")]
    public void A_status_change_renders_as_the_JsonObject_path_did(string agent, string message)
    {
        var time = new FixedTime(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        var bus = new EventBus(time, new ServerLog(NullLogger<ServerLog>.Instance));
        var task = new TaskRecord
        {
            Id = "web.instance-1._app.1", AppId = "/web", AgentId = agent, Host = "host-" + agent, Version = "2030-01-01T00:00:00.000Z",
            StagedAt = "2030-01-01T00:00:00.000Z", Ports = [31000, 31001],
        };
        var fx = new WriteEffects();
        new TaskEvents(bus).StatusChanged(fx, task, TaskState.Failed, message);

        var stamp = MarathonTime.ToWire(time.GetUtcNow());
        var status = new JsonObject
        {
            ["slaveId"] = agent, ["taskId"] = task.Id, ["taskStatus"] = "TASK_FAILED", ["message"] = message, ["appId"] = "/web",
            ["host"] = task.Host, ["ipAddresses"] = new JsonArray(), ["ports"] = new JsonArray(31000, 31001), ["version"] = task.Version,
            ["eventType"] = "status_update_event", ["timestamp"] = stamp,
        };
        var instance = new JsonObject
        {
            ["instanceId"] = "web.instance-1", ["condition"] = "Failed", ["runSpecId"] = "/web", ["agentId"] = agent, ["host"] = task.Host,
            ["runSpecVersion"] = task.Version, ["eventType"] = "instance_changed_event", ["timestamp"] = stamp,
        };
        Assert.Equal(["status_update_event", "instance_changed_event"], fx.Events.Select(e => e.Type));
        Assert.Equal(status.ToJsonString(), fx.Events[0].Json);
        Assert.Equal(instance.ToJsonString(), fx.Events[1].Json);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>The event log keeps the batch a write was made from (the writing server's projector reads it), so its JSON must give it back exactly.</summary>
    [Fact]
    public void An_event_batch_round_trips_exactly()
    {
        var batch = new Storage.EventBatch
        {
            Events = [new("status_update_event", "{\"m\":\"quo\\\"te \\u003Cb\\u003E é ✓ \\u0001\"}"), new("deployment_info", "{\"a\":1}", "{\"light\":true}")],
        };
        var decoded = Storage.Schema.EventLog.Deserialize(Storage.Schema.EventLog.Serialize(batch));
        Assert.Equal(batch.Events, decoded.Events);
    }
}
