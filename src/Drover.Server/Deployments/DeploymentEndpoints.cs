using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Deployments;

/// <summary>GET /v2/deployments and DELETE /v2/deployments/{id} (revert, or with force just stop).</summary>
public static class DeploymentEndpoints
{
    public static void MapDeploymentEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/deployments", (StateWriter writer) =>
        {
            var s = writer.Current;
            var list = s.All(Schema.Deployments).OrderBy(d => d.StartedAt, StringComparer.Ordinal).Select(d => Wire(d, s)).ToList();
            return Responses.Json(list, ApiJsonContext.Default.ListDeploymentInfo);
        });
        r.MapDelete("/v2/deployments/{id}", async (string id, HttpContext ctx, StateWriter writer, DeploymentService deployments, DeploymentEvents events, CancellationToken ct) =>
        {
            var force = ctx.Request.Flag("force");
            var (_, planned) = await writer.UpdateAsync<DeploymentService.Planned?>((s, fx) =>
            {
                var d = s.Get(Schema.Deployments, id) ?? throw ApiException.NotFound($"DeploymentPlan {id} does not exist");
                if (force)
                {
                    events.Failed(fx, d, "canceled by DELETE /v2/deployments/" + id + "?force=true");
                    return ([StateOp.Delete(Schema.Deployments, id)], null);
                }
                var revert = deployments.PlanRevert(s, d, "reverted by DELETE /v2/deployments/" + id);
                deployments.Started(fx, revert);
                return (revert.Ops, revert);
            }, ct);
            if (planned is null) return Results.StatusCode(202);
            return Responses.Deployment(ctx, planned.Record.Id, planned.Record.Version);
        });
    }

    /// <param name="s">For currentActions' readinessCheckResults: the results of the tasks of the deployment's target version.</param>
    private static IReadOnlyList<Core.Cluster.ReadinessCheckResult> Readiness(DeploymentRecord d, string appId, StateSnapshot s)
    {
        if (!d.Targets.TryGetValue(appId, out var target) || target.ReadinessChecks.Count == 0) return [];
        return TaskIndex.OfApp(s, appId)
            .Where(t => Scheduling.AppVersions.IsCurrent(target, t.Version))
            .SelectMany(t => t.ReadinessCheckResults).ToList();
    }

    public static DeploymentInfo Wire(DeploymentRecord d, StateSnapshot s) => new()
    {
        Id = d.Id,
        Version = d.Version,
        AffectedApps = d.AffectedApps,
        Steps = d.Steps.Select(s => new DeploymentStepWire(s.Actions.Select(a => new DeploymentActionWire(a.Action, a.App)).ToList())).ToList(),
        CurrentActions = d.Steps[d.CurrentStep - 1].Actions.Select(a => new DeploymentActionWire(a.Action, a.App) { ReadinessCheckResults = Readiness(d, a.App, s) }).ToList(),
        CurrentStep = d.CurrentStep,
        TotalSteps = d.Steps.Count,
    };
}
