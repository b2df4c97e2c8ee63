using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Leadership;

/// <summary>
/// On a follower, hands writes to the leader: a small reverse proxy (method, path, query, body and headers, the
/// leader's answer streamed back), or a 307 with --follower-writes redirect. Marathon's followers proxy to the leader
/// the same way (its LeaderProxyFilter), and Consul's forward RPCs.
/// </summary>
public static class LeaderForwarding
{
    public const string HttpClientName = "leader";

    /// <summary>
    /// Retry-After on a 503 that applied nothing while servers elect a leader (RFC 9110 §10.2.3): clients that wait for
    /// a leader (the CLI) send the request again after it. A lost store quorum gets no Retry-After: it may last.
    /// </summary>
    private const string RetryAfterSeconds = "1";

    // hop-by-hop headers (RFC 9110 §7.6.1) and the ones HttpClient sets itself
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    };

    public static void UseLeaderForwarding(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            var leadership = ctx.RequestServices.GetRequiredService<ILeadership>();
            // Without a quorum no write can land anywhere: refuse at once, naming the cause, instead of letting the
            // write wait out etcd's timeouts (a leader that has not noticed yet would otherwise still take it).
            if (ctx.RequestServices.GetRequiredService<Storage.IStoreHealth>().StaleCause is { } stale && ForwardingDecision.IsWrite(ctx.Request.Method))
            {
                NotAppliedAnswer.Mark(ctx.Response);
                await WriteMessageAsync(ctx, 503, $"no leader: {Storage.IStoreHealth.NoQuorum(stale)}");
                return;
            }
            var options = ctx.RequestServices.GetRequiredService<ServerOptions>();
            var self = ctx.RequestServices.GetRequiredService<ServerIdentity>().AdvertisedHostPort;
            var decision = ForwardingDecision.Decide(ctx.Request.Method, leadership.IsLeader, leadership.Leader, self, leadership.NoLeaderCause,
                options.FollowerWrites, ctx.Request.Headers[ForwardingDecision.ForwardedByHeader].FirstOrDefault(), ctx.Request.Path.Value ?? "");
            switch (decision)
            {
                case ForwardingDecision.Serve:
                    await next(ctx);
                    return;
                case ForwardingDecision.NoLeader n:
                    // nothing was applied and an election is under way: a client may send it again shortly
                    ctx.Response.Headers.RetryAfter = RetryAfterSeconds;
                    NotAppliedAnswer.Mark(ctx.Response);
                    await WriteMessageAsync(ctx, 503, n.Message);
                    return;
                case ForwardingDecision.Redirect r:
                    ctx.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                    ctx.Response.Headers.Location = $"{ctx.Request.Scheme}://{r.Leader}{ctx.Request.PathBase}{ctx.Request.Path}{ctx.Request.QueryString}";
                    return;
                case ForwardingDecision.Forward f:
                    await ProxyAsync(ctx, f.Leader, self);
                    return;
            }
        });
    }

    private static async Task ProxyAsync(HttpContext ctx, string leader, string self)
    {
        var http = ctx.RequestServices.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(new HttpMethod(ctx.Request.Method),
            new Uri($"http://{leader}{ctx.Request.PathBase}{ctx.Request.Path}{ctx.Request.QueryString}"));
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.ContainsKey("Transfer-Encoding"))
            request.Content = new StreamContent(ctx.Request.Body);
        foreach (var (name, values) in ctx.Request.Headers)
        {
            if (NotCopied.Contains(name)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        request.Headers.TryAddWithoutValidation(ForwardingDecision.ForwardedByHeader, self);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            // No connection: nothing reached the leader's handler, so the client may simply try again. A connection
            // cut after the request went out may have been applied: that one is not marked for retrying.
            if (e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                ctx.Response.Headers.RetryAfter = RetryAfterSeconds;
                NotAppliedAnswer.Mark(ctx.Response);
            }
            await WriteMessageAsync(ctx, 503, $"no leader: the leader {leader} cannot be reached ({e.Message}); a new one is elected once its lease expires");
            return;
        }
        using (response)
        {
            ctx.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
                if (!NotCopied.Contains(name)) ctx.Response.Headers[name] = values.ToArray();
            ctx.Response.Headers[ForwardingDecision.ForwardedByHeader] = self;
            await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
            await body.CopyToAsync(ctx.Response.Body, ctx.RequestAborted); // streamed: event streams and long answers pass as they come
        }
    }

    private static async Task WriteMessageAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(ctx.Response.Body, new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse);
    }
}
