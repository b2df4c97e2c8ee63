using Drover.Api.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Security;

/// <summary>GET /v1/drover/ca: the cluster CA (PEM) that agents check against the digest in their join token.</summary>
public static class TrustEndpoints
{
    public static void MapTrustEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet(ServerTrust.CaPath, (ServerSecurity security) => security.Ca is { } ca
            ? Results.Text(ca.ExportCertificatePem() + "\n", "application/x-pem-file")
            : Results.Json(new Api.Marathon.MessageResponse { Message = "this server has no cluster CA: TLS is off, or its certificate was given without --tls-ca" },
                Api.ApiJsonContext.Default.MessageResponse, statusCode: 404));
    }
}
