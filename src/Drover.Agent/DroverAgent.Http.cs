using System.Net;
using System.Net.Sockets;
using Drover.Agent.Cgroups;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Hosting;
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
    /// <exception cref="ListenAddressInUseException">The listen address is taken.</exception>
    private async Task StartHttpAsync(CancellationToken ct)
    {
        var listen = _options.ListenEndPoint;
        // before the host: a host whose start fails logs the bind error with its stack trace
        ListenProbe.ThrowIfTcpInUse(listen, ListenAddressInUseException.Agent);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DroverAgent).Assembly.GetName().Name });
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        var app = builder.Build();

        app.MapGet("/ping", () => Results.Text("pong\n"));
        app.MapGet("/tasks", () => Results.Json(Tasks.Snapshot().ToList(), ApiJsonContext.Default.ListTaskStatusReport));
        app.MapGet("/tasks/{taskId}/logs", ServeLogsAsync);
        app.MapGet("/tasks/{taskId}/stats", async (string taskId, CancellationToken ct) =>
            Tasks.Find(taskId)?.Handle is { } handle && await handle.ReadUsageAsync(ct).ConfigureAwait(false) is { } usage
                ? Results.Json(usage, AgentJsonContext.Default.TaskResourceUsage)
                : NotFound($"no resource usage for task '{taskId}' (unknown task, not running, or not in a cgroup)"));

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            // the probe passed, but another program took the port before Kestrel bound it
            if (ListenAddressInUseException.IsAddressInUse(e)) throw new ListenAddressInUseException(listen.ToString(), ListenAddressInUseException.Agent, e);
            throw;
        }
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
