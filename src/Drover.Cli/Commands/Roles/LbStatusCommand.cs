using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Cli.CommandLine;
using Drover.Lb;
using Drover.Lb.Control;

namespace Drover.Cli.Commands.Roles;

/// <summary>drover lb status: asks a running lb (its status endpoint, not the server) what HAProxy serves and how syncing goes.</summary>
public sealed class LbStatusCommand : Command
{
    private readonly Option<string> _statusListen = new("--status-listen")
    {
        Description = "The lb's status endpoint, as given to 'drover lb --status-listen'",
        HelpName = "HOST:PORT",
        DefaultValueFactory = _ => LbOptions.DefaultStatusListen,
    };
    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Output format: table (for people) or json (for scripts)",
        HelpName = "table|json",
        DefaultValueFactory = _ => "table",
    };
    private readonly CliContext _context;

    public LbStatusCommand(CliContext context) : base("status", "Show a running lb's backends and servers (from HAProxy's 'show stat'), last sync, last error and counters; Nginx's and the VIP's state with --nginx and --vip")
    {
        _context = context;
        _output.AcceptOnlyFromAmong("table", "json");
        Options.Add(_statusListen);
        Options.Add(_output);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var listen = result.GetValue(_statusListen)!;
        if (!Uri.TryCreate($"http://{listen}/lb/status", UriKind.Absolute, out var url))
            throw new UsageException($"--status-listen '{listen}' is not HOST:PORT");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        LbStatus status;
        try
        {
            status = await http.GetFromJsonAsync(url, LbStatusJsonContext.Default.LbStatus, ct)
                ?? throw new CliException($"the lb at {listen} answered nothing");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"no lb answers at {listen} ({e.Message}); is 'drover lb' running with --status-listen {listen}?");
        }
        var w = _context.Console.Out;
        if (result.GetValue(_output) == "json")
        {
            w.WriteLine(JsonSerializer.Serialize(status, LbStatusJsonContext.Default.LbStatus));
            return ExitCodes.Ok;
        }
        var c = status.Counters;
        w.WriteLine($"lb {status.Id} (group {status.Group}): applied index {status.AppliedIndex} of {status.SeenIndex}, server {(status.ServerReachable ? "reachable" : "UNREACHABLE")}, last sync {status.LastSyncAt ?? "never"}");
        w.WriteLine($"syncs {c.Syncs}, runtime changes {c.RuntimeChanges}, reloads {c.Reloads}, failures {c.Failures}");
        if (status.LastError is { } err) w.WriteLine($"last error ({status.LastErrorAt}): {err}");
        foreach (var s in status.Skipped) w.WriteLine($"skipped {s}");
        if (status.Nginx is { } n)
        {
            w.WriteLine($"nginx {(n.Pid is { } pid ? $"pid {pid}" : "NOT RUNNING")}, config {n.ConfigPath}: applies {n.Applies}, writes {n.Writes}, reloads {n.Reloads}, " +
                $"rejected {n.Rejected}, starts {n.Starts}, last write {n.LastWriteAt ?? "never"}");
            if (n.LastError is { } nerr) w.WriteLine($"nginx last error ({n.LastErrorAt}): {nerr}");
        }
        if (status.Vip is { } v)
            w.WriteLine($"vip {v.Address} on {v.Interface}: {(v.Holding ? "held here (VRRP master)" : "not held here")}, keepalived {(v.KeepalivedPid is { } kp ? $"pid {kp}" : "NOT RUNNING")}{(v.KeepalivedRestarts > 0 ? $", restarted {v.KeepalivedRestarts}x (last: {v.LastExit})" : "")}");
        if (status.Nginx is not null) return ExitCodes.Ok; // Nginx has no per-server states to show
        w.WriteLine();
        w.WriteLine($"{"BACKEND/SERVER",-48} {"STATUS",-10} {"WEIGHT",6} {"CUR",6} {"TOTAL",8}");
        foreach (var b in status.Backends)
        {
            w.WriteLine($"{b.Name,-48} {b.Status,-10}");
            foreach (var sv in b.Servers) w.WriteLine($"  {sv.Name,-46} {sv.Status,-10} {sv.Weight,6} {sv.CurrentSessions,6} {sv.TotalSessions,8}");
        }
        return ExitCodes.Ok;
    }
}
