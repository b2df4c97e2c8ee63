using System.Text.Json;
using Drover.Server.Discovery;
using Drover.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Consul;

/// <summary>
/// Endpoint filter for every Consul route: sets the headers Consul clients read on every answer (python-consul
/// reads X-Consul-Index even on a 404) and turns errors into Consul's text/plain bodies.
/// </summary>
public static class ConsulFilter
{
    public const string IndexHeader = "X-Consul-Index";

    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        var store = http.RequestServices.GetRequiredService<IStateStore>();
        SetIndex(http.Response, store.Current.Index);
        http.Response.Headers["X-Consul-KnownLeader"] = "true";
        http.Response.Headers["X-Consul-LastContact"] = "0";
        try
        {
            return await next(ctx);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (Map(ex) is { } error)
        {
            if (error.Status >= 500)
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Consul")
                    .LogError(ex, "unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            return Results.Text(error.Message + "\n", "text/plain; charset=utf-8", statusCode: error.Status);
        }
    }

    /// <summary>X-Consul-Index, never below 1 (Consul clamps it so clients never block on 0).</summary>
    public static void SetIndex(HttpResponse response, long index) =>
        response.Headers[IndexHeader] = Math.Max(1, index).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static ConsulException? Map(Exception ex) => ex switch
    {
        ConsulException c => c,
        JsonException j => ConsulException.BadRequest($"Request decode failed: {j.Message}"),
        BadHttpRequestException b => new ConsulException(b.StatusCode, b.Message),
        OperationCanceledException => null,
        _ => new ConsulException(500, $"internal error: {ex.GetType().Name}: {ex.Message}"),
    };
}
