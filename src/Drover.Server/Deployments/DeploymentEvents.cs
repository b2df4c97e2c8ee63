using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Server.Events;

namespace Drover.Server.Deployments;

/// <summary>deployment_info / _step_success / _success / _failed with Marathon's heavy plan (original and target groups), and the light one on request.</summary>
public sealed class DeploymentEvents(EventBus bus, ServerLog log)
{
    public void Info(WriteEffects fx, DeploymentRecord d) => Publish(fx, "deployment_info", d, withStep: true);

    public void StepSucceeded(WriteEffects fx, DeploymentRecord d) => Publish(fx, "deployment_step_success", d, withStep: true);

    public void Succeeded(WriteEffects fx, DeploymentRecord d)
    {
        fx.Add(() => log.DeploymentEnded(d.Id, "succeeded", string.Join(", ", d.AffectedApps)));
        Publish(fx, "deployment_success", d, withStep: false, extra: o => o["id"] = d.Id);
    }

    public void Failed(WriteEffects fx, DeploymentRecord d, string reason)
    {
        fx.Add(() => log.DeploymentEnded(d.Id, "failed", reason));
        Publish(fx, "deployment_step_failure", d, withStep: true);
        Publish(fx, "deployment_failed", d, withStep: false, extra: o => { o["id"] = d.Id; o["reason"] = reason; });
    }

    private void Publish(WriteEffects fx, string type, DeploymentRecord d, bool withStep, Action<JsonObject>? extra = null)
    {
        JsonObject Make(bool heavy)
        {
            var o = new JsonObject { ["plan"] = Plan(d, heavy) };
            if (withStep) o["currentStep"] = Step(d.Steps[Math.Clamp(d.CurrentStep, 1, d.Steps.Count) - 1]);
            extra?.Invoke(o);
            return o;
        }
        fx.Publish(bus.Render(type, Make(heavy: true), Make(heavy: false)));
    }

    public static JsonObject Plan(DeploymentRecord d, bool heavy)
    {
        var plan = new JsonObject
        {
            ["id"] = d.Id,
            ["version"] = d.Version,
            ["steps"] = new JsonArray(d.Steps.Select(s => (JsonNode)Step(s)).ToArray()),
        };
        if (heavy)
        {
            plan["original"] = Group(d.Originals.Values, d.Version);
            plan["target"] = Group(d.Targets.Values, d.Version);
        }
        return plan;
    }

    private static JsonObject Step(DeploymentStep s) => new()
    {
        ["actions"] = new JsonArray(s.Actions.Select(a => (JsonNode)new JsonObject { ["action"] = a.Action, ["app"] = a.App }).ToArray()),
    };

    /// <summary>The affected apps as a root group (python3-marathon parses these as MarathonGroup).</summary>
    private static JsonObject Group(IEnumerable<AppDefinition> apps, string version) => new()
    {
        ["id"] = "/",
        ["apps"] = new JsonArray(apps.Select(a => JsonSerializer.SerializeToNode(a, CoreJsonContext.Default.AppDefinition)).ToArray()),
        ["groups"] = new JsonArray(),
        ["pods"] = new JsonArray(),
        ["dependencies"] = new JsonArray(),
        ["version"] = version,
    };
}
