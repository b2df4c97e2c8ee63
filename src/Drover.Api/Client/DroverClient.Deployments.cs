using Drover.Api.Marathon;

namespace Drover.Api.Client;

/// <summary>/v2/deployments.</summary>
public sealed partial class DroverClient
{
    public Task<List<DeploymentInfo>> ListDeploymentsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v2/deployments", null, ApiJsonContext.Default.ListDeploymentInfo, ct);

    /// <summary>Reverts the deployment (a new deployment back to the previous definitions); with force just stops it (returns null).</summary>
    public async Task<DeploymentResult?> CancelDeploymentAsync(string id, bool force = false, CancellationToken ct = default)
    {
        if (!force)
            return await SendAsync(HttpMethod.Delete, $"/v2/deployments/{Uri.EscapeDataString(id)}", null, ApiJsonContext.Default.DeploymentResult, ct).ConfigureAwait(false);
        await SendAsync(HttpMethod.Delete, $"/v2/deployments/{Uri.EscapeDataString(id)}?force=true", null, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>Rolls an app back to a stored version (PUT {"version": …}).</summary>
    public Task<DeploymentResult> RollbackAppAsync(string id, string version, bool force = false, CancellationToken ct = default)
    {
        var body = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["version"] = version }, ApiJsonContext.Default.DictionaryStringString);
        return SendAsync(HttpMethod.Put, $"/v2/apps{AppPath(id)}?force={Lower(force)}", System.Net.Http.Json.JsonContent.Create(body, ApiJsonContext.Default.JsonElement), ApiJsonContext.Default.DeploymentResult, ct);
    }
}
