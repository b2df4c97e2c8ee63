using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Drover.Api.Client;
using Drover.Lb.Control;
using Drover.Lb.Haproxy;
using Drover.Lb.Host;
using Drover.Lb.Keepalived;
using Drover.Lb.Nginx;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Lb;

/// <summary>
/// A whole load balancer: HAProxy (started or attached) or, with --nginx, Nginx alone; the controller that follows the
/// server; keepalived for --vip; and the small status endpoint (GET /lb/status). Used by `drover lb` and by `drover up`.
/// </summary>
public sealed class LbHost : IAsyncDisposable
{
    private readonly LbOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly HaproxySupervisor? _supervisor;
    private readonly HaproxyProcessHost? _haproxy;
    private readonly RuntimeApi? _runtime;
    private readonly NginxSupervisor? _nginx;
    private readonly KeepalivedSupervisor? _keepalived;
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _web;
    private Task? _run;

    public LbHost(LbOptions options, DroverClient client, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _options = options;
        _loggers = loggers;
        time ??= TimeProvider.System;
        Directory.CreateDirectory(options.DataDir);
        var edge = options.Edge;
        // keepalived's track script asks HAProxy's monitor URI on a loopback port of its own.
        var monitorPort = edge.Vip is null ? 0 : Drover.Core.Net.FreePorts.Loopback();
        var settings = new HaproxySettings { BindAddress = options.BindAddress, HttpPort = options.HttpPort, StatsSocket = options.AdminSocket, MonitorPort = monitorPort };
        var controllerOptions = new LbControllerOptions { Id = options.EffectiveId, Group = options.Group, Settings = settings };
        if (edge.Nginx)
        {
            // Nginx alone, as consul-template's users run it: the same desired state, no HAProxy (see LbRoleOptions).
            _nginx = new NginxSupervisor(edge.NginxConfigPath!, edge.ToNginxSettings(options.BindAddress, options.HttpPort), edge.NginxPath, time);
            Controller = new LbController(client, null, null, controllerOptions, time, loggers.CreateLogger<LbController>(), [_nginx]);
        }
        else
        {
            _haproxy = new HaproxyProcessHost(options.HaproxyPath, options.MasterSocket, loggers.CreateLogger("Drover.Lb.Haproxy"), attach: options.AttachMasterSocket is not null,
                pidFile: options.PidFile);
            _supervisor = new HaproxySupervisor(_haproxy, options.ConfigPath, time, loggers.CreateLogger<HaproxySupervisor>());
            _runtime = new RuntimeApi(options.AdminSocket);
            Controller = new LbController(client, _supervisor, _runtime, controllerOptions, time, loggers.CreateLogger<LbController>());
        }
        if (edge.Vip is not null)
            _keepalived = new KeepalivedSupervisor(edge.ToKeepalivedSettings(monitorPort, options.KeepalivedDir, "drover_lb"), options.KeepalivedDir, edge.KeepalivedPath);
    }

    public LbController Controller { get; }

    /// <summary>After the start: whether HAProxy was re-adopted from an earlier lb, or why a new one was started.</summary>
    public AdoptDecision? Adoption => _supervisor?.Adoption;

    /// <summary>The HAProxy master's PID (null when attached to someone else's).</summary>
    public int? HaproxyPid => _haproxy?.Pid;

    /// <summary>http://host:port of the status endpoint, once started.</summary>
    public Uri? StatusUrl { get; private set; }

    /// <summary>Starts HAProxy and the status endpoint, then follows the server in the background.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await StartStatusAsync(ct);
        await Controller.StartAsync(ct);
        // Only once HAProxy runs: keepalived would otherwise claim the VIP for a host that cannot serve it yet (its
        // track script keeps it BACKUP until HAProxy answers anyway).
        if (_keepalived is not null) await _keepalived.StartAsync(ct);
        _run = Task.Run(() => Controller.RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>The controller's account plus every backend's servers from "show stat".</summary>
    public async Task<LbStatus> StatusAsync(CancellationToken ct)
    {
        var status = Controller.Status() with { HaproxyPid = HaproxyPid, HaproxyAdopted = _supervisor?.Adopted ?? false, Nginx = _nginx?.Status(), Vip = VipStatus() };
        if (_runtime is null) return status;
        try
        {
            var rows = await _runtime.ShowStatAsync(ct);
            var backends = rows.Where(r => r.Name == "BACKEND" && !r.Proxy.StartsWith("drover_", StringComparison.Ordinal))
                .Select(b => new LbBackendStatus(b.Proxy, b.Status, [.. rows.Where(r => r.Proxy == b.Proxy && r.Name is not ("BACKEND" or "FRONTEND"))
                    .Select(r => new LbServerStatus(r.Name, r.Status, r.Weight, r.CurrentSessions, r.TotalSessions))]));
            return status with { Backends = [.. backends] };
        }
        catch (RuntimeApiException e)
        {
            return status with { LastError = $"reading HAProxy's stats: {e.Message}" };
        }
    }

    private VipStatus? VipStatus()
    {
        if (_options.Edge is not { Vip: { } vip, VipInterface: { } iface }) return null;
        var address = IPAddress.Parse(vip[..vip.IndexOf('/')]);
        // The interfaces of this process's network namespace, which is where keepalived adds the address.
        var holding = NetworkInterface.GetAllNetworkInterfaces().Where(n => n.Name == iface)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Any(a => a.Address.Equals(address));
        return new VipStatus(vip, iface, _keepalived?.Pid, holding, _keepalived?.Restarts ?? 0, _keepalived?.LastExit);
    }


    private async Task StartStatusAsync(CancellationToken ct)
    {
        var listen = IPEndPoint.TryParse(_options.StatusListen, out var ep) ? ep
            : throw new ArgumentException($"--status-listen '{_options.StatusListen}' is not HOST:PORT with an IP address");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(LbHost).Assembly.GetName().Name });
        builder.Services.AddSingleton(_loggers);
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        var app = builder.Build();
        app.MapGet("/lb/status", async (CancellationToken c) => Results.Json(await StatusAsync(c), LbStatusJsonContext.Default.LbStatus));
        await app.StartAsync(ct);
        _web = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        StatusUrl = new Uri(bound.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal));
    }

    /// <summary>Stops keepalived first (the VIP moves to a peer while HAProxy still serves), deregisters, stops the status endpoint and (unless attached) HAProxy or Nginx.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_keepalived is not null) await _keepalived.DisposeAsync();
        await _stop.CancelAsync();
        if (_run is not null) await _run.ContinueWith(_ => { }, TaskScheduler.Default);
        if (_web is not null) await _web.DisposeAsync();
        if (_supervisor is not null) await _supervisor.DisposeAsync();
        if (_nginx is not null) await _nginx.DisposeAsync();
        _stop.Dispose();
    }
}
