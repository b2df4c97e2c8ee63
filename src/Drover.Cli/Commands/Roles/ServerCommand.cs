using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Server;

namespace Drover.Cli.Commands.Roles;

/// <summary>drover server: the API server, scheduler and DNS, until Ctrl-C or SIGTERM.</summary>
public sealed class ServerCommand : Command
{
    private readonly ServerRoleOptions _options = new();
    private readonly CliContext _context;
    private readonly LogFormatOption _logFormat = new();

    public ServerCommand(CliContext context) : base("server", "Run the API server and scheduler (with DNS) until Ctrl-C or SIGTERM")
    {
        _context = context;
        _options.AddTo(this);
        _logFormat.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var options = _options.Read(result, result.GetValue(_options.DataDir) ?? Path.Combine(ServerRoleOptions.DefaultDataDir(), "server"));
        var w = _logFormat.Lines(result, _context.Console);
        await using var server = await RoleHosting.StartServerAsync(options, RoleErrors.Server, _logFormat.Json(result), ct);
        w.WriteLine($"drover server: {server.Url} (state {RoleHosting.StateText(options)}){RoleHosting.DnsText(server, options)}");
        foreach (var line in RoleHosting.SecurityLines("drover server", server, options)) w.WriteLine(line);
        w.Flush();
        await RoleHosting.WaitForStopAsync(ct);
        await server.StopAsync();
        return ExitCodes.Ok;
    }
}
