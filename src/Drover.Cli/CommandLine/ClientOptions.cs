using System.CommandLine;
using Drover.Api.Client;
using Drover.Api.Security;

namespace Drover.Cli.CommandLine;

/// <summary>The options every command that talks to the server takes: where, with which token, in which format.</summary>
public sealed class ClientOptions
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Drover server URL, or several separated by commas (servers on one etcd: requests follow the leader and move on when one cannot be reached) [env DROVER_SERVER, default {DefaultServer}]",
        HelpName = "URL[,URL...]",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API token (the server's --api-token, not the agents' join token), sent as a bearer token [env DROVER_TOKEN]",
        HelpName = "TOKEN",
    };

    public Option<string?> Ca { get; } = new("--ca")
    {
        Description = "For https:// servers: the CA to trust, a PEM file (the server's <data-dir>/tls/ca.crt) or sha256:DIGEST [env DROVER_CA; default: the system's CAs]",
        HelpName = "FILE|sha256:HEX",
    };

    public Option<string> Output { get; } = new("--output", "-o")
    {
        Description = "Output format: table (for people) or json (for scripts)",
        HelpName = "table|json",
        DefaultValueFactory = _ => "table",
    };

    public ClientOptions()
    {
        Output.AcceptOnlyFromAmong("table", "json");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(Ca);
        command.Options.Add(Output);
    }

    public bool Json(ParseResult result) => result.GetValue(Output) == "json";

    /// <param name="warnings">Where the server's Warning headers go (null: nowhere).</param>
    public DroverClient CreateClient(ParseResult result, TextWriter? warnings = null)
    {
        var server = result.GetValue(Server) ?? Environment.GetEnvironmentVariable("DROVER_SERVER") ?? DefaultServer;
        var uris = ParseServers(server);
        var token = result.GetValue(Token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN");
        var ca = result.GetValue(Ca) ?? Environment.GetEnvironmentVariable("DROVER_CA");
        ServerTrust? trust = null;
        if (!string.IsNullOrEmpty(ca))
        {
            try { trust = ServerTrust.Parse(ca); }
            catch (ArgumentException e) { throw new UsageException($"--ca: {e.Message}"); }
        }
        // every command, log follows and the event stream included, goes through this one client and its token
        // a command given while the servers elect a leader waits for one, as a user at a terminal would retry by hand
        var servers = new ServerList(uris, (trust ?? ServerTrust.SystemRoots()).CreateHandler()) { WaitForLeader = TimeSpan.FromSeconds(30) };
        HttpMessageHandler handler = warnings is null ? servers : new ServerWarnings(warnings, servers);
        return new DroverClient(servers.Seeds[0], string.IsNullOrEmpty(token) ? null : token, handler);
    }

    /// <summary>"a" or "a,b,c": each an http(s) URL; a bad one is named.</summary>
    public static IReadOnlyList<Uri> ParseServers(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException($"--server '{value}' names no server");
        var uris = new List<Uri>();
        foreach (var part in parts)
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new UsageException($"--server '{part}' is not an http:// or https:// URL");
            uris.Add(uri);
        }
        return uris;
    }
}
