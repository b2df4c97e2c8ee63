using Drover.Api;
using Drover.Api.Marathon;
using Drover.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Security;

/// <summary>
/// Guards the agent protocol (/internal/agents/*) with the join token: a missing or wrong one is a 401 whose message
/// names the problem, logged once per agent address and minute. With TLS on, agents must come over TLS: the join
/// secret must not cross the network in clear text.
/// </summary>
public sealed class JoinTokenFilter(ServerSecurity security, SecurityLog log, RefusalThrottle throttle) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        if (security.Join is not { } join) return await next(ctx).ConfigureAwait(false);
        var http = ctx.HttpContext;
        var req = http.Request;
        var self = $"{req.Scheme}://{req.Host}";
        if (security.TlsEnabled && !req.IsHttps)
            return Refuse(http, 403, $"{self} takes agents over TLS only: join {security.TlsUrl?.ToString().TrimEnd('/') ?? "its --tls-listen address"} with the token the server printed");
        var presented = Bearer(req);
        if (presented is null)
            return Refuse(http, 401, $"join token missing: {self} requires this cluster's join token (drover agent --token, or env DROVER_TOKEN; the server printed it when it started)");
        if (!join.Accepts(presented))
            return Refuse(http, 401, $"join token rejected by {self}: it does not match this cluster's token");
        return await next(ctx).ConfigureAwait(false);
    }

    private IResult Refuse(HttpContext http, int status, string message)
    {
        var remote = http.Connection.RemoteIpAddress?.ToString() ?? "an unknown address";
        if (throttle.ShouldLog(remote, out var suppressed))
            log.AgentRefused(remote, message, suppressed > 0 ? $" ({suppressed} more refusal(s) from there since the last line)" : "");
        return Responses.Json(new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse, status);
    }

    private static string? Bearer(HttpRequest req)
    {
        var header = req.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
