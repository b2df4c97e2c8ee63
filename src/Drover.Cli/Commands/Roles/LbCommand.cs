using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Lb;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// drover lb --server URL: runs HAProxy and keeps it in line with the cluster's HAPROXY_* labels (marathon-lb's role),
/// until Ctrl-C or SIGTERM, which deregisters the lb and stops HAProxy.
/// </summary>
public sealed class LbCommand : Command
{
    private readonly LbRoleOptions _lb = new();
    private readonly Option<string?> _dataDir = new("--data-dir")
    {
        Description = "Directory for haproxy.cfg and HAProxy's sockets [default ~/.drover/lb]",
        HelpName = "DIR",
    };
    private readonly CliContext _context;
    private readonly LogFormatOption _logFormat = new();

    public LbCommand(CliContext context) : base("lb", "Run a load balancer: HAProxy routed by the apps' HAPROXY_* labels (as marathon-lb), hitless reloads, drain before kill")
    {
        _context = context;
        context.Client.AddTo(this);
        Options.Add(_dataDir);
        _lb.AddTo(this, full: true);
        _logFormat.AddTo(this);
        SetAction(RunAsync);
        Subcommands.Add(new LbStatusCommand(context));
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var options = _lb.Read(result, Path.GetFullPath(result.GetValue(_dataDir) ?? Path.Combine(ServerRoleOptions.DefaultDataDir(), "lb")), full: true);
        if (options.Edge.Nginx && !LbRoleOptions.HaproxyAvailable(options.Edge.NginxPath))
            throw new CliException($"'{options.Edge.NginxPath}' is not there: install Nginx (apt-get install nginx) or run without --nginx");
        if (options.Edge.Vip is not null && !LbRoleOptions.HaproxyAvailable(options.Edge.KeepalivedPath))
            throw new CliException($"'{options.Edge.KeepalivedPath}' is not there: install keepalived (apt-get install keepalived) or run without --vip");
        if (!options.Edge.Nginx && options.AttachMasterSocket is null && !LbRoleOptions.HaproxyAvailable(options.HaproxyPath))
            throw new CliException($"'{options.HaproxyPath}' is not there: install HAProxy 2.6 or later (apt-get install haproxy) or name it with --haproxy PATH");
        using var client = _context.Client.CreateClient(result);
        using var loggers = RoleHosting.Logging(_logFormat.Json(result));
        var w = _logFormat.Lines(result, _context.Console);
        await using var lb = new LbHost(options, client, loggers);
        try { await lb.StartAsync(ct); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            throw new CliException($"cannot start the lb: {e.Message}");
        }
        if (lb.Adoption is { } adoption)
            w.WriteLine(adoption.Adopt ? $"drover lb: adopted the running HAProxy (master pid {adoption.Pid}) instead of starting another: {adoption.Reason}"
                : $"drover lb: started HAProxy (master pid {lb.HaproxyPid}): {adoption.Reason}");
        var http = options.HttpPort == 0 ? "no HTTP frontend" : $"HTTP routes on {options.BindAddress}:{options.HttpPort}";
        var proxy = options.Edge.Nginx ? $"nginx config {options.Edge.NginxConfigPath}" : $"config {options.ConfigPath}";
        var vip = options.Edge.Vip is { } address ? $", VIP {address} on {options.Edge.VipInterface} (keepalived in {options.KeepalivedDir})" : "";
        w.WriteLine($"drover lb: {options.EffectiveId}, group {options.Group}, {http}, status {lb.StatusUrl}lb/status, {proxy}{vip}");
        w.Flush();
        await RoleHosting.WaitForStopAsync(ct);
        return ExitCodes.Ok;
    }
}
