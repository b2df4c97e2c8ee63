using Drover.Server.Agents;
using Drover.Server.Apps;
using Drover.Server.Http;
using Drover.Server.Reconcile;
using Drover.Server.Tasks;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server;

/// <summary>Builds and runs the server role: state store, HTTP API, reconciler.</summary>
public sealed class DroverServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IStateStore _store;

    private DroverServer(WebApplication app, IStateStore store)
    {
        _app = app;
        _store = store;
    }

    public Uri Url { get; private set; } = new("http://127.0.0.1/");
    public IServiceProvider Services => _app.Services;

    public static async Task<DroverServer> CreateAsync(ServerOptions options, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null)
    {
        options.Validate();
        IStateStore store = options.DataDir is null
            ? new InMemoryStateStore()
            : await SqliteStateStore.OpenAsync(PrepareDataDir(options.DataDir));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.ListenEndPoint()));
        var s = builder.Services;
        s.AddSingleton(options);
        s.AddSingleton(time ?? TimeProvider.System);
        s.AddSingleton(store);
        s.AddSingleton<StateWriter>();
        s.AddSingleton<ServerLog>();
        s.AddSingleton<ServerIdentity>();
        s.AddSingleton<SnapshotResponseCache>();
        s.AddSingleton<AppValidation>();
        s.AddSingleton<AppService>();
        s.AddSingleton<TaskService>();
        s.AddSingleton<RecentTasks>();
        s.AddSingleton<AgentLiveness>();
        s.AddSingleton<AgentService>();
        s.AddSingleton<AssignmentService>();
        s.AddSingleton<LaunchQueue>();
        s.AddSingleton<ReconcileLoop>();
        s.AddSingleton<Events.EventBus>();
        s.AddSingleton<Events.TaskEvents>();
        s.AddSingleton<Deployments.DeploymentEvents>();
        s.AddSingleton<Deployments.DeploymentService>();
        s.AddSingleton<Deployments.DeploymentMonitor>();
        s.AddSingleton<Groups.GroupService>();
        s.AddSingleton<DnsService.DnsHost>();
        s.AddHostedService(sp => sp.GetRequiredService<DnsService.DnsHost>());
        s.AddHostedService(sp => sp.GetRequiredService<ReconcileLoop>());
        s.AddHttpClient("agents", c => c.Timeout = Timeout.InfiniteTimeSpan);
        Discovery.DiscoveryRegistration.AddDiscovery(s);

        var app = builder.Build();
        app.UseDroverErrors();
        app.MapInfoEndpoints();
        app.MapAppEndpoints();
        app.MapAppHistoryEndpoints();
        app.MapTaskEndpoints();
        app.MapQueueEndpoints();
        app.MapAgentEndpoints();
        Deployments.DeploymentEndpoints.MapDeploymentEndpoints(app);
        Events.EventEndpoints.MapEventEndpoints(app);
        Groups.GroupEndpoints.MapGroupEndpoints(app);
        DnsService.MesosDnsEndpoints.MapMesosDnsEndpoints(app);
        Discovery.DiscoveryRegistration.MapDiscovery(app);
        return new DroverServer(app, store);
    }

    private static string PrepareDataDir(string dir)
    {
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "state.db");
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        await _app.StartAsync(ct);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
        var id = _app.Services.GetRequiredService<ServerIdentity>();
        id.Host = Url.Host;
        id.Port = Url.Port;
        var opts = _app.Services.GetRequiredService<ServerOptions>();
        _app.Services.GetRequiredService<ServerLog>().Listening(Url.ToString(), opts.DataDir is null ? "in memory" : Path.Combine(opts.DataDir, "state.db"));
    }

    /// <summary>The DNS server's bound endpoint (UDP and TCP), or null when DNS is off.</summary>
    public System.Net.IPEndPoint? DnsEndpoint => _app.Services.GetRequiredService<DnsService.DnsHost>().Server?.UdpEndpoint;

    /// <summary>Stops the scheduler from launching or killing anything; the API keeps serving.</summary>
    public void PauseScheduling() => _app.Services.GetRequiredService<ReconcileLoop>().Pause();

    public async Task StopAsync()
    {
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _store.DisposeAsync();
    }
}
