using Drover.Agent;
using Drover.Server;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Commands.Roles;

/// <summary>Starting and stopping the roles in this process, with start-up failures worded by <see cref="RoleErrors"/>.</summary>
public static class RoleHosting
{
    public static async Task<DroverServer> StartServerAsync(ServerOptions options, Func<Exception, Exception?> describe, CancellationToken ct)
    {
        DroverServer? server = null;
        try
        {
            server = await DroverServer.CreateAsync(options);
            await server.StartAsync(ct);
            return server;
        }
        catch (Exception ex) when (describe(ex) is { } clear)
        {
            if (server is not null) await server.DisposeAsync();
            throw clear;
        }
    }

    public static async Task StartAgentAsync(DroverAgent agent, Func<Exception, Exception?> describe, CancellationToken ct)
    {
        try
        {
            await agent.StartAsync(ct);
        }
        catch (Exception ex) when (describe(ex) is { } clear)
        {
            throw clear;
        }
    }

    public static string StateText(ServerOptions options) =>
        options.DataDir is null ? "in memory" : Path.Combine(options.DataDir, "state.db");

    public static string DnsText(DroverServer server, ServerOptions options) =>
        server.DnsEndpoint is { } ep ? $", DNS {ep} for *.{options.DnsDomain} (try: dig @{ep.Address} -p {ep.Port} <service>.service.{options.DnsDomain})" : ", DNS off";

    public static ILoggerFactory Logging() => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.AddFilter("Microsoft", LogLevel.Warning);
        b.AddFilter("System.Net.Http", LogLevel.Warning);
    });

    public static async Task WaitForStopAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }
}
