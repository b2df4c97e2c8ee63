using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Api.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Security;

/// <summary>
/// With <see cref="ServerOptions.ApiToken"/> set, the REST APIs (Marathon /v2, Consul /v1, Drover /v1/drover) accept
/// writes only with the token, and reads too with <see cref="ServerOptions.ApiTokenForReads"/>. Refusals come before
/// any handler runs, so nothing is written, and in each API's own shape: Marathon's 401 <c>{"message"}</c> with
/// <c>WWW-Authenticate: Basic</c> on /v2 (a browser asks for the password, as Marathon's does), Consul's plain-text
/// 403 ("ACL not found" for a token it does not know, "Permission denied" without one) on its /v1 paths.
/// </summary>
/// <remarks>
/// Open always: /ping, the CA certificate (public by nature), Consul's /v1/status/* (which Consul answers without
/// ACLs), the agent protocol, which the join token guards instead, and the dashboard's static files under /ui (they
/// hold no data; the page asks for the token and sends it with every API call). A request is a write when its method is not
/// GET/HEAD/OPTIONS, or when it goes to a Consul endpoint that also takes writes: python3-consul deregisters and
/// passes TTL checks with GET.
/// </remarks>
public static class ApiTokenGate
{
    public const string Realm = "Drover";

    private static readonly string[] OpenPrefixes = ["/internal/agents/", "/v1/status/", Ui.UiEndpoints.Path + "/"];
    private static readonly HashSet<string> OpenPaths = new(StringComparer.OrdinalIgnoreCase) { "/ping", ServerTrust.CaPath, Ui.UiEndpoints.Path };
    // Mesos-DNS's HTTP API lives under /v1 next to Consul's; it has no ACLs of its own, so it answers like Drover's API
    private static readonly string[] MesosDnsPrefixes = ["/v1/version", "/v1/config", "/v1/hosts/", "/v1/services/"];

    public static void UseApiTokens(this WebApplication app, ServerSecurity security)
    {
        if (security.ApiToken is not { } token) return;
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "/";
            if (IsOpen(path) || (!security.ApiTokenForReads && !IsWrite(ctx)))
            {
                await next(ctx);
                return;
            }
            var offered = ApiCredentials.Offered(ctx.Request);
            if (offered.Count > 0 && ApiCredentials.Matches(offered, token))
            {
                await next(ctx);
                return;
            }
            await RefuseAsync(ctx, path, missing: offered.Count == 0);
        });
    }

    public static bool IsOpen(string path) =>
        OpenPaths.Contains(path.Length > 1 ? path.TrimEnd('/') : path)
        || OpenPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public static bool IsWrite(HttpContext ctx)
    {
        if (!IsReadMethod(ctx.Request.Method)) return true;
        // Marathon's routes take every method on one endpoint and dispatch inside: only Consul's have GET writes
        if (!IsConsul(ctx.Request.Path.Value ?? "")) return false;
        var methods = ctx.GetEndpoint()?.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
        return methods is not null && methods.Any(m => !IsReadMethod(m));
    }

    private static bool IsReadMethod(string m) => HttpMethods.IsGet(m) || HttpMethods.IsHead(m) || HttpMethods.IsOptions(m);

    private static bool IsConsul(string path) =>
        path.StartsWith("/v1/", StringComparison.OrdinalIgnoreCase)
        && !path.StartsWith("/v1/drover/", StringComparison.OrdinalIgnoreCase)
        && !MesosDnsPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A page's script (the dashboard) marks its calls with <c>X-Requested-With: XMLHttpRequest</c>: it gets a Bearer
    /// challenge, so the browser does not put up its own password box over the page's token prompt (Spring Security and
    /// Rails skip the Basic challenge for such requests too).
    /// </summary>
    private static bool IsScript(HttpRequest request) =>
        string.Equals(request.Headers.XRequestedWith.ToString(), "XMLHttpRequest", StringComparison.OrdinalIgnoreCase);

    private static async Task RefuseAsync(HttpContext ctx, string path, bool missing)
    {
        var res = ctx.Response;
        if (IsConsul(path))
        {
            res.StatusCode = StatusCodes.Status403Forbidden;
            res.ContentType = "text/plain; charset=utf-8";
            await res.WriteAsync(missing
                ? "Permission denied: this server requires its API token (X-Consul-Token header, ?token= or Authorization: Bearer)"
                : "ACL not found");
            return;
        }
        res.StatusCode = StatusCodes.Status401Unauthorized;
        res.Headers.WWWAuthenticate = (path.StartsWith("/v2/", StringComparison.OrdinalIgnoreCase) || path == "/v2") && !IsScript(ctx.Request)
            ? $"Basic realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\"";
        res.ContentType = "application/json";
        var message = missing
            ? "API token required: send it as Authorization: Bearer <token>, or as the password of basic auth (drover --token, env DROVER_TOKEN)"
            : "Invalid username or password: the API token does not match";
        await JsonSerializer.SerializeAsync(res.Body, new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse);
    }
}
