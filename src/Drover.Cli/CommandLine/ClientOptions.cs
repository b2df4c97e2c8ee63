using System.CommandLine;
using Drover.Api.Client;

namespace Drover.Cli.CommandLine;

/// <summary>The options every command that talks to the server takes: where, with which token, in which format.</summary>
public sealed class ClientOptions
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Drover server URL [env DROVER_SERVER, default {DefaultServer}]",
        HelpName = "URL",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API token sent as a bearer token [env DROVER_TOKEN]",
        HelpName = "TOKEN",
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
        command.Options.Add(Output);
    }

    public bool Json(ParseResult result) => result.GetValue(Output) == "json";

    /// <param name="warnings">Where the server's Warning headers go (null: nowhere).</param>
    public DroverClient CreateClient(ParseResult result, TextWriter? warnings = null)
    {
        var server = result.GetValue(Server) ?? Environment.GetEnvironmentVariable("DROVER_SERVER") ?? DefaultServer;
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new UsageException($"--server '{server}' is not an http:// or https:// URL");
        var token = result.GetValue(Token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN");
        return new DroverClient(uri, string.IsNullOrEmpty(token) ? null : token, warnings is null ? null : new ServerWarnings(warnings));
    }
}
