using Drover.Api.Status;

namespace Drover.Api.Client;

/// <summary>The health of Drover itself (GET /v1/drover/status).</summary>
public sealed partial class DroverClient
{
    public Task<DroverStatus> GetStatusAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v1/drover/status", null, StatusJsonContext.Default.DroverStatus, ct);
}
