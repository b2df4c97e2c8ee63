using System.Net;
using System.Net.Sockets;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Api.Stats;
using Drover.Core.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Agent;

/// <summary>The agent's own HTTP endpoint: /ping, /metrics, /tasks, /tasks/{id}/logs and /tasks/{id}/stats (proxied by the server), /stats (host and tasks), /stats/history and /tasks/{id}/stats/history.</summary>
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

        // Task logs and stats are for the server only: it presents the join secret (see DroverServer's "agents" client).
        // /metrics is open, as node_exporter's and cAdvisor's are: Prometheus must not be handed the join secret, which
        // would let it join agents to the cluster (bind --listen to a private address to keep it in).
        if (_join is { } join)
        {
            app.Use(async (ctx, next) =>
            {
                var auth = ctx.Request.Headers.Authorization.ToString();
                if (ctx.Request.Path == "/ping" || ctx.Request.Path == "/metrics" || (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && join.Accepts(auth[7..].Trim())))
                {
                    await next(ctx);
                    return;
                }
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await ctx.Response.WriteAsJsonAsync(new MessageResponse { Message = "this agent answers its cluster's servers only: the join token is missing or wrong" },
                    ApiJsonContext.Default.MessageResponse);
            });
        }

        app.MapGet("/ping", () => Results.Text("pong\n"));
        app.MapGet("/metrics", async (CancellationToken ct) =>
        {
            await _metrics.RefreshUsageAsync(Tasks, ct).ConfigureAwait(false);
            return Results.Text(_metrics.Registry.Render(), Core.Metrics.MetricRegistry.ContentType, System.Text.Encoding.UTF8);
        });
        app.MapGet("/tasks", () => Results.Json(Tasks.Snapshot().ToList(), ApiJsonContext.Default.ListTaskStatusReport));
        app.MapGet("/tasks/{taskId}/logs", ServeLogsAsync);
        app.MapGet("/tasks/{taskId}/stats", async (string taskId, CancellationToken ct) =>
            await _stats.ReadTaskAsync(taskId, ct).ConfigureAwait(false) is { } stats
                ? Results.Json(stats, StatsJsonContext.Default.TaskStats)
                : NotFound(Tasks.Find(taskId) is { IsTerminal: false }
                    ? $"no resource figures for task '{taskId}': its runtime gives none (not started yet, or just ended)"
                    : $"Task '{taskId}' is not running on this agent"));
        app.MapGet("/stats", async (CancellationToken ct) => Results.Json(await _stats.ReadAllAsync(ct).ConfigureAwait(false), StatsJsonContext.Default.AgentStats));
        MapStatsHistory(app);

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

    /// <summary>
    /// The IP address other hosts and DNS use for this agent's tasks: --advertise, resolved when it is a name (as
    /// Consul's -advertise and Mesos' --advertise_ip, it must end up an address). Null without --advertise: the server
    /// then falls back to the hostname or the endpoint's address (<see cref="Drover.Core.Cluster.AgentAddresses"/>).
    /// </summary>
    private async Task<string?> ResolveAdvertisedAddressAsync(CancellationToken ct)
    {
        if (_options.AdvertiseHost is not { } host) return null;
        var trimmed = host.Trim('[', ']');
        if (IPAddress.TryParse(trimmed, out var ip)) return ip.ToString();
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(trimmed, ct).ConfigureAwait(false);
            var best = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (best is not null) return best.ToString();
            _log.AdvertiseUnresolved(host, "no addresses");
        }
        catch (SocketException e)
        {
            _log.AdvertiseUnresolved(host, e.Message);
        }
        return null;
    }

    private static IResult NotFound(string message) =>
        Results.Json(new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse, statusCode: StatusCodes.Status404NotFound);
}
