using System.Net;
using System.Net.Sockets;
using Drover.Agent.Cgroups;
using Drover.Api;
using Drover.Api.Marathon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Agent;

/// <summary>The agent's own HTTP endpoint: /ping, /tasks, /tasks/{id}/logs (proxied by the server), /tasks/{id}/stats.</summary>
public sealed partial class DroverAgent
{
    private async Task StartHttpAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DroverAgent).Assembly.GetName().Name });
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(_options.ListenEndPoint));
        var app = builder.Build();

        app.MapGet("/ping", () => Results.Text("pong\n"));
        app.MapGet("/tasks", () => Results.Json(Tasks.Snapshot().ToList(), ApiJsonContext.Default.ListTaskStatusReport));
        app.MapGet("/tasks/{taskId}/logs", ServeLogsAsync);
        app.MapGet("/tasks/{taskId}/stats", (string taskId) =>
            Tasks.Find(taskId)?.Handle?.ReadUsage() is { } usage
                ? Results.Json(usage, AgentJsonContext.Default.TaskResourceUsage)
                : NotFound($"no resource usage for task '{taskId}' (unknown task, not running, or not in a cgroup)"));

        await app.StartAsync(ct).ConfigureAwait(false);
        _web = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("://+", "://localhost", StringComparison.Ordinal)).Port;
        Endpoint = new UriBuilder(Uri.UriSchemeHttp, AdvertisedHost(), port).Uri;
    }

    private string AdvertisedHost()
    {
        if (_options.AdvertiseHost is { } host) return host;
        var address = _options.ListenEndPoint.Address;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return _options.Hostname;
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    private static IResult NotFound(string message) =>
        Results.Json(new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse, statusCode: StatusCodes.Status404NotFound);
}
