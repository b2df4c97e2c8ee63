namespace Drover.Scheduling;

/// <summary>
/// Decides where new task instances run. Pure: the same view and requests always give the same result.
/// </summary>
/// <remarks>
/// Order of preference among agents that fit (Active, resources, host ports, constraints): for a GROUP_BY app,
/// the field value with the fewest of the app's tasks; then the agent with the fewest of the app's tasks; then
/// the least loaded (max of cpu and mem utilisation, in 1/1024 steps); then agent id. Requests are served in
/// order and see each other's placements.
/// </remarks>
public static class Placer
{
    public static PlacementResult Place(ClusterView view, IReadOnlyList<PlacementRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(requests);
        return new PlacementSession(view, requests).Run();
    }
}
