using System.Collections.Concurrent;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>The HTTP sink against a real Kestrel collector.</summary>
public sealed class HttpLogSinkTests
{
    [Fact(Timeout = 30_000)]
    public async Task Posts_a_batch_as_ndjson_and_fails_on_a_non_2xx_answer()
    {
        var bodies = new ConcurrentQueue<(string? Type, string Body)>();
        var auth = new ConcurrentQueue<string>();
        await using var server = await TestHttpServer.StartAsync(app =>
        {
            app.MapPost("/logs", async (HttpContext http) =>
            {
                auth.Enqueue($"{http.Request.Headers.Authorization}|{http.Request.Headers["X-Tenant"]}");
                using var reader = new StreamReader(http.Request.Body);
                bodies.Enqueue((http.Request.ContentType, await reader.ReadToEndAsync()));
                return Results.Ok();
            });
            app.MapPost("/full", () => Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        });
        using var http = new HttpClient();
        var ok = new HttpLogSink(http, new Uri(server.BaseUri, "/logs"), [new CollectorHeader("Authorization", "Bearer s3cret"), new CollectorHeader("X-Tenant", "blue")]);
        await ok.SendAsync(["{\"line\":\"a\"}\n"u8.ToArray(), "{\"line\":\"b\"}\n"u8.ToArray()], CancellationToken.None);
        var (type, body) = Assert.Single(bodies);
        Assert.Equal("application/x-ndjson", type);
        Assert.Equal("{\"line\":\"a\"}\n{\"line\":\"b\"}\n", body);
        Assert.Equal("Bearer s3cret|blue", Assert.Single(auth));
        Assert.Equal("Authorization: …", new CollectorHeader("Authorization", "Bearer s3cret").ToString());

        var full = new HttpLogSink(http, new Uri(server.BaseUri, "/full"));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => full.SendAsync(["{}\n"u8.ToArray()], CancellationToken.None));
        Assert.Contains("the collector answered 503", e.Message);
    }
}
