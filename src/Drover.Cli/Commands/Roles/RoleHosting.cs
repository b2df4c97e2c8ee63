using Drover.Agent;
using Drover.Server;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Commands.Roles;

/// <summary>Starting and stopping the roles in this process, with start-up failures worded by <see cref="RoleErrors"/>.</summary>
public static class RoleHosting
{
    public static async Task<DroverServer> StartServerAsync(ServerOptions options, Func<Exception, Exception?> describe, bool jsonLogs, CancellationToken ct)
    {
        DroverServer? server = null;
        try
        {
            server = await DroverServer.CreateAsync(options, b => ConfigureLogging(b, jsonLogs));
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
        options.Etcd is { } etcd ? $"etcd {etcd} {options.EtcdPrefix}" : options.DataDir is null ? "in memory" : Path.Combine(options.DataDir, "state.db");

    public static string DnsText(DroverServer server, ServerOptions options) =>
        server.DnsEndpoint is { } ep ? $", DNS {ep} for *.{options.DnsDomain} (try: dig @{ep.Address} -p {ep.Port} <service>.service.{options.DnsDomain})" : ", DNS off";

    /// <summary>The URL agents on other hosts join: the TLS listener when there is one, at the advertised address or the listen address.</summary>
    public static string JoinUrl(DroverServer server, ServerOptions options)
    {
        var url = server.TlsUrl ?? server.Url;
        var listen = ServerOptions.ParseEndPoint(server.TlsUrl is null ? options.Listen : options.TlsListen!);
        var host = options.Advertise
            ?? (listen.Address.Equals(System.Net.IPAddress.Any) || listen.Address.Equals(System.Net.IPAddress.IPv6Any) ? Environment.MachineName : url.Host);
        return new UriBuilder(url) { Host = host }.Uri.ToString().TrimEnd('/');
    }

    /// <summary>What the server prints about TLS, the API token and how agents join (nothing when none of it applies).</summary>
    public static IEnumerable<string> SecurityLines(string role, DroverServer server, ServerOptions options)
    {
        var security = server.Security;
        if (server.TlsUrl is { } tls)
        {
            var ca = security.Ca is { } c ? $"CA sha256 {Api.Security.JoinToken.DigestOf(c)}{(security.CaFile is { } f ? $"; clients: --ca {f}" : "")}" : "certificate from --tls-cert";
            yield return $"{role}: TLS {tls.ToString().TrimEnd('/')} ({(security.CaGenerated ? "generated " : "")}{ca}); agents must join over it";
        }
        if (options.ApiToken is not null)
            yield return $"{role}: the API requires the API token for writes{(options.ApiTokenForReads ? " and reads" : "")} (clients: --token or env DROVER_TOKEN)";
        if (server.JoinToken is { } token)
        {
            // one line to write, so a log line from the starting server never lands between the two
            yield return $"{role}: join token{(security.JoinTokenFile is { } file ? $" (kept in {file})" : "")}; agents join with:"
                + $"{Environment.NewLine}  drover agent --join {JoinUrl(server, options)} --token {token}";
        }
    }

    public static ILoggerFactory Logging(bool json) => LoggerFactory.Create(b => ConfigureLogging(b, json));

    /// <summary>
    /// Text: one line per entry, as before. JSON: the framework's JSON console formatter, one object per line with
    /// the entry's structured fields under State (as Serilog's compact JSON and Nomad's -log-json carry them).
    /// </summary>
    public static void ConfigureLogging(ILoggingBuilder b, bool json)
    {
        b.ClearProviders();
        if (json)
        {
            b.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.AddFilter("Microsoft", LogLevel.Warning);
        b.AddFilter("System.Net.Http", LogLevel.Warning);
    }

    public static async Task WaitForStopAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }
}
