using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Server.Events;

/// <summary>Marathon's task and health events, built from task records as they change, and added to the write that changes them.</summary>
public sealed class TaskEvents(EventBus bus)
{
    private void Emit(WriteEffects fx, string type, JsonObject payload) => fx.Publish(bus.Render(type, payload));

    public void StatusChanged(WriteEffects fx, TaskRecord t, TaskState state, string? message)
    {
        fx.Publish(bus.Render("status_update_event", (t, state, message), static (w, x) =>
        {
            w.WriteString("slaveId", x.t.AgentId);
            w.WriteString("taskId", x.t.Id);
            w.WriteString("taskStatus", x.state.ToWire());
            w.WriteString("message", x.message ?? "");
            w.WriteString("appId", x.t.AppId);
            w.WriteString("host", x.t.Host);
            w.WriteStartArray("ipAddresses");
            w.WriteEndArray();
            w.WriteStartArray("ports");
            foreach (var p in x.t.Ports) w.WriteNumberValue(p);
            w.WriteEndArray();
            w.WriteString("version", x.t.Version);
        }));
        fx.Publish(bus.Render("instance_changed_event", (t, state), static (w, x) =>
        {
            w.WriteString("instanceId", InstanceId(x.t.Id));
            w.WriteString("condition", Condition(x.state));
            w.WriteString("runSpecId", x.t.AppId);
            w.WriteString("agentId", x.t.AgentId);
            w.WriteString("host", x.t.Host);
            w.WriteString("runSpecVersion", x.t.Version);
        }));
    }

    /// <summary>Publishes health events when a task's aggregated liveness flips, and a failed-check event per newly failing check.</summary>
    public void HealthChanged(WriteEffects fx, TaskRecord before, TaskRecord after, AppDefinition? app)
    {
        var wasAlive = before.HealthCheckResults.Count > 0 && before.HealthCheckResults.All(r => r.Alive);
        var isAlive = after.HealthCheckResults.Count > 0 && after.HealthCheckResults.All(r => r.Alive);
        if (after.HealthCheckResults.Count > 0 && (before.HealthCheckResults.Count == 0 || wasAlive != isAlive))
        {
            Emit(fx, "health_status_changed_event", new JsonObject
            {
                ["appId"] = after.AppId,
                ["instanceId"] = InstanceId(after.Id),
                ["taskId"] = after.Id,
                ["version"] = after.Version,
                ["alive"] = isAlive,
            });
            Emit(fx, "instance_health_changed_event", new JsonObject
            {
                ["instanceId"] = InstanceId(after.Id),
                ["runSpecId"] = after.AppId,
                ["runSpecVersion"] = after.Version,
                ["healthy"] = isAlive,
            });
        }
        for (var i = 0; i < after.HealthCheckResults.Count; i++)
        {
            var now = after.HealthCheckResults[i];
            var was = i < before.HealthCheckResults.Count ? before.HealthCheckResults[i] : null;
            if (now.Alive || (was is not null && !was.Alive)) continue;
            var def = app is not null && i < app.HealthChecks.Count ? app.HealthChecks[i] : null;
            Emit(fx, "failed_health_check_event", new JsonObject
            {
                ["appId"] = after.AppId,
                ["taskId"] = InstanceId(after.Id),
                ["instanceId"] = InstanceId(after.Id),
                ["version"] = after.Version,
                ["healthCheck"] = def is null ? new JsonObject() : JsonSerializer.SerializeToNode(def, CoreJsonContext.Default.HealthCheckDefinition),
            });
        }
    }

    public void UnhealthyKilled(WriteEffects fx, TaskRecord t, string reason)
    {
        foreach (var type in new[] { "unhealthy_task_kill_event", "unhealthy_instance_kill_event" })
        {
            Emit(fx, type, new JsonObject
            {
                ["appId"] = t.AppId,
                ["taskId"] = t.Id,
                ["instanceId"] = InstanceId(t.Id),
                ["version"] = t.Version,
                ["reason"] = reason,
                ["host"] = t.Host,
                ["slaveId"] = t.AgentId,
            });
        }
    }

    public void AppTerminated(WriteEffects fx, string appId) => Emit(fx, "app_terminated_event", new JsonObject { ["appId"] = appId });

    public void ApiPost(WriteEffects fx, string clientIp, string uri, AppDefinition app) => Emit(fx, "api_post_event", new JsonObject
    {
        ["clientIp"] = clientIp,
        ["uri"] = uri,
        ["appDefinition"] = JsonSerializer.SerializeToNode(app, CoreJsonContext.Default.AppDefinition),
    });

    /// <summary>Marathon's instance id is the task id without the incarnation suffix.</summary>
    public static string InstanceId(string taskId)
    {
        var i = taskId.IndexOf("._app", StringComparison.Ordinal);
        return i > 0 ? taskId[..i] : taskId;
    }

    private static string Condition(TaskState s) => s switch
    {
        TaskState.Staging => "Staging",
        TaskState.Starting => "Starting",
        TaskState.Running => "Running",
        TaskState.Killing => "Killing",
        TaskState.Unreachable => "Unreachable",
        TaskState.Finished => "Finished",
        TaskState.Failed => "Failed",
        TaskState.Killed => "Killed",
        TaskState.Error => "Error",
        TaskState.Gone => "Gone",
        TaskState.Dropped => "Dropped",
        TaskState.Lost => "Unknown",
        _ => "Unknown",
    };
}
