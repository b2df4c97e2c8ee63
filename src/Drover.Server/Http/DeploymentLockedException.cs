namespace Drover.Server.Http;

/// <summary>
/// 409: the app is locked by running deployments (Marathon's message and shape). Here rather than in Deployments,
/// which throws it, because ErrorHandling renders its body (the deployment ids), and Http sits below Deployments.
/// </summary>
public sealed class DeploymentLockedException(IReadOnlyList<string> ids) : ApiException(409,
    $"App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/{ids[0]}'.")
{
    public IReadOnlyList<string> DeploymentIds { get; } = ids;
}
