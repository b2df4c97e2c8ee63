using System.Net;
using Drover.Api.Client;
using Drover.Lb.Control;
using Drover.Lb.Haproxy;
using Drover.Lb.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Lb;

/// <summary>
/// A whole load balancer: HAProxy (started or attached), the controller that follows the server, and the small status
/// endpoint (GET /lb/status). Used by `drover lb` and by `drover up`.
/// </summary>
public sealed class LbHost : IAsyncDisposable
{
    private readonly LbOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly HaproxySupervisor _supervisor;
    private readonly HaproxyProcessHost _haproxy;
    private readonly RuntimeApi _runtime;
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _web;
    private Task? _run;

    public LbHost(LbOptions options, DroverClient client, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _options = options;
        _loggers = loggers;
        time ??= TimeProvider.System;
        Directory.CreateDirectory(options.DataDir);
        var settings = new HaproxySettings { BindAddress = options.BindAddress, HttpPort = options.HttpPort, StatsSocket = options.AdminSocket };
        var host = new HaproxyProcessHost(options.HaproxyPath, options.MasterSocket, loggers.CreateLogger("Drover.Lb.Haproxy"), attach: options.AttachMasterSocket is not null,
            pidFile: options.PidFile);
        _haproxy = host;
        _supervisor = new HaproxySupervisor(host, options.ConfigPath, time, loggers.CreateLogger<HaproxySupervisor>());
        _runtime = new RuntimeApi(options.AdminSocket);
        Controller = new LbController(client, _supervisor, _runtime, new LbControllerOptions { Id = options.EffectiveId, Group = options.Group, Settings = settings },
            time, loggers.CreateLogger<LbController>());
    }

    public LbController Controller { get; }

    /// <summary>After the start: whether HAProxy was re-adopted from an earlier lb, or why a new one was started.</summary>
    public AdoptDecision? Adoption => _supervisor.Adoption;

    /// <summary>The HAProxy master's PID (null when attached to someone else's).</summary>
    public int? HaproxyPid => _haproxy.Pid;

    /// <summary>http://host:port of the status endpoint, once started.</summary>
    public Uri? StatusUrl { get; private set; }

    /// <summary>Starts HAProxy and the status endpoint, then follows the server in the background.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await StartStatusAsync(ct);
        await Controller.StartAsync(ct);
        _run = Task.Run(() => Controller.RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>The controller's account plus every backend's servers from "show stat".</summary>
    public async Task<LbStatus> StatusAsync(CancellationToken ct)
    {
        var status = Controller.Status() with { HaproxyPid = HaproxyPid, HaproxyAdopted = _supervisor.Adopted };
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

    /// <summary>Deregisters, stops the status endpoint and (unless attached) HAProxy.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run.ContinueWith(_ => { }, TaskScheduler.Default);
        if (_web is not null) await _web.DisposeAsync();
        await _supervisor.DisposeAsync();
        _stop.Dispose();
    }
}
