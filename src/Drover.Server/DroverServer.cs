using Drover.Core.Hosting;
using Drover.Server.Agents;
using Drover.Server.Apps;
using Drover.Server.Http;
using Drover.Server.Leadership;
using Drover.Server.Reconcile;
using Drover.Server.Security;
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
/// <remarks>
/// A second server on the same data directory fails in <see cref="CreateAsync"/> with <see cref="DataDirLockedException"/>;
/// a listen address that is taken fails <see cref="StartAsync"/> with <see cref="ListenAddressInUseException"/>. Either
/// way nothing is left running and the data directory is free again.
/// </remarks>
public sealed class DroverServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IStateStore _store;
    private readonly DataDirLock? _dataDirLock;
    private int _disposed;

    private DroverServer(WebApplication app, IStateStore store, DataDirLock? dataDirLock)
    {
        _app = app;
        _store = store;
        _dataDirLock = dataDirLock;
    }

    public Uri Url { get; private set; } = new("http://127.0.0.1/");
    public IServiceProvider Services => _app.Services;

    /// <exception cref="DataDirLockedException">Another process (or server) uses <see cref="ServerOptions.DataDir"/>.</exception>
    public static async Task<DroverServer> CreateAsync(ServerOptions options, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null)
    {
        options.Validate();
        // the lock before anything touches the directory: a second server must not even open the database
        var dataDirLock = options.DataDir is null ? null : DataDirLock.Acquire(options.DataDir);
        IStateStore? store = null;
        try
        {
            store = await OpenStoreAsync(options, dataDirLock);
            // the store holds the cluster's join secret and CA key from here on
            if (dataDirLock is not null && !options.UsesEtcd) SecretFiles.RestrictToOwner(dataDirLock.Directory, Path.Combine(dataDirLock.Directory, StateFile));
            var security = await ServerSecurity.LoadAsync(options, store, dataDirLock?.Directory, time ?? TimeProvider.System);
            return new DroverServer(Build(options, store, security, logging, time), store, dataDirLock);
        }
        catch
        {
            if (store is not null) await store.DisposeAsync();
            dataDirLock?.Dispose();
            throw;
        }
    }

    private const string StateFile = "state.db";

    /// <summary>etcd when --etcd is given (shared by every server of the cluster), else SQLite in the data directory, else memory.</summary>
    private static async Task<IStateStore> OpenStoreAsync(ServerOptions options, DataDirLock? dataDirLock)
    {
        if (options.Etcd is { } endpoints)
        {
            // 3 s per member: a member without quorum is given up on quickly, and the next one tried
            var client = new State.Etcd.Client.EtcdClient(
                endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => new Uri(e)).ToList()) { RequestTimeout = TimeSpan.FromSeconds(3) };
            try
            {
                return new EtcdStore(await State.Etcd.EtcdStateStore.OpenAsync(client, new State.Etcd.EtcdStateStoreOptions { Prefix = options.EtcdPrefix }), client);
            }
            catch (Exception e) when (e is State.Etcd.Client.EtcdException or HttpRequestException)
            {
                client.Dispose();
                throw new StoreUnavailableException($"cannot load the state from etcd at {endpoints}: {e.Message}", e);
            }
        }
        return dataDirLock is null ? new InMemoryStateStore() : await SqliteStateStore.OpenAsync(Path.Combine(dataDirLock.Directory, StateFile));
    }

    private static WebApplication Build(ServerOptions options, IStateStore store, ServerSecurity security, Action<ILoggingBuilder>? logging, TimeProvider? time)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.ListenEndPoint());
            // TLS on a second listener, as Marathon's --https_port and Consul's ports.https: clients that only speak
            // plain HTTP (python3-marathon, curl, scripts) keep the first one; agents must use this one (see JoinTokenFilter).
            if (security.TlsCertificate is { } certificate && options.TlsListen is { } tls)
                k.Listen(ServerOptions.ParseEndPoint(tls), l => l.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    ServerCertificateChain = security.TlsChain,
                }));
            // Every body reader has its own cap with a clear 413 (BodyLimits: 1 MiB apps, 16 MiB JSON;
            // Consul's own). Kestrel's cap would answer with its own text instead, and close the
            // connection without draining the body, which a client still sending sees as a reset.
            k.Limits.MaxRequestBodySize = null;
        });
        var s = builder.Services;
        s.AddSingleton(options);
        s.AddSingleton(security);
        s.AddSingleton<SecurityLog>();
        s.AddSingleton(sp => new RefusalThrottle(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(1)));
        s.AddSingleton(time ?? TimeProvider.System);
        s.AddSingleton(store);
        s.AddSingleton(new Metrics.ServerMetrics(store switch { EtcdStore => "etcd", SqliteStateStore => "sqlite", _ => "memory" }));
        s.AddSingleton<StateWriter>();
        s.AddSingleton<ServerLog>();
        s.AddSingleton(new ServerIdentity { ClusterId = security.ClusterId, StartedAt = (time ?? TimeProvider.System).GetUtcNow() });
        s.AddSingleton<SnapshotResponseCache>();
        s.AddSingleton<AppValidation>();
        s.AddSingleton<AppService>();
        s.AddSingleton<TaskService>();
        s.AddSingleton<Apps.IAppTaskRoutes>(sp => sp.GetRequiredService<TaskService>());
        s.AddSingleton<RecentTasks>();
        s.AddSingleton<Agents.DrainService>();
        s.AddSingleton<AgentLiveness>();
        s.AddSingleton<Agents.AgentLivenessRecorder>();
        s.AddSingleton<AgentService>();
        s.AddSingleton<AssignmentService>();
        s.AddSingleton<LaunchQueue>();
        s.AddSingleton<ReconcileLoop>();
        s.AddSingleton<LoadBalancing.LbRegistry>();
        s.AddSingleton<LoadBalancing.LbStateCache>();
        s.AddSingleton<Events.EventBus>();
        s.AddSingleton<Events.TaskEvents>();
        s.AddSingleton<Deployments.DeploymentEvents>();
        s.AddSingleton<Deployments.DeploymentService>();
        s.AddSingleton<Deployments.DeploymentMonitor>();
        s.AddSingleton<Groups.GroupService>();
        s.AddSingleton<DnsService.DnsHost>(); // started by StartAsync, not as a hosted service (see there)
        s.AddSingleton<Events.EventProjector>();
        // every server streams the events in the store, whoever wrote them (not only the leader)
        s.AddHostedService(sp => sp.GetRequiredService<Events.EventProjector>());
        s.AddSingleton<Leadership.LeadershipLog>();
        if (store is EtcdStore etcd)
        {
            s.AddSingleton(etcd);
            s.AddSingleton<Leadership.EtcdLeadership>();
            s.AddSingleton<Leadership.ILeadership>(sp => sp.GetRequiredService<Leadership.EtcdLeadership>());
            s.AddHostedService(sp => sp.GetRequiredService<Leadership.EtcdLeadership>());
            s.AddSingleton(sp => new Storage.EtcdQuorumMonitor(etcd.Client, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<Storage.EtcdQuorumMonitor>>()));
            s.AddSingleton<Storage.IStoreHealth>(sp => sp.GetRequiredService<Storage.EtcdQuorumMonitor>());
            s.AddHostedService(sp => sp.GetRequiredService<Storage.EtcdQuorumMonitor>());
        }
        else
        {
            s.AddSingleton<Leadership.ILeadership, Leadership.SingleServerLeadership>();
            s.AddSingleton<Storage.IStoreHealth, Storage.LocalStoreHealth>();
        }
        Leadership.LeaderGatedService.AddLeaderOnly<ReconcileLoop>(s);
        Leadership.LeaderGatedService.AddLeaderOnly<Agents.AgentLivenessRecorder>(s);
        s.AddHttpClient("agents", c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;
            // agents serve task logs only to the server: the join secret is how they know it is the server asking
            if (security.Join is { } join) c.DefaultRequestHeaders.Authorization = new("Bearer", join.Secret);
        });
        // no timeout: forwarded requests include blocking queries and long agent polls; the client's own deadline applies
        s.AddHttpClient(Leadership.LeaderForwarding.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(3) });
        s.AddSingleton<Stats.AgentStatsClient>();
        s.AddSingleton<Status.StoreWriteClock>();
        s.AddHostedService(sp => sp.GetRequiredService<Status.StoreWriteClock>());
        s.AddSingleton<Status.StatusService>();
        Consul.DiscoveryRegistration.AddDiscovery(s);

        var app = builder.Build();
        var leadership = app.Services.GetRequiredService<Leadership.ILeadership>();
        // a new leader holds the kills the previous one was draining until the lbs have heartbeaten it (see LbRegistry)
        leadership.TermStarted += app.Services.GetRequiredService<LoadBalancing.LbRegistry>().StartGracePeriod;
        // a lone server's one term starts now, on the store as it opened: a restart keeps what each agent had left
        // of its grace (an etcd server seeds when it is elected, EtcdLeadership)
        if (store is not EtcdStore) app.Services.GetRequiredService<AgentLiveness>().StartTerm(store.Current);
        var metrics = app.Services.GetRequiredService<Metrics.ServerMetrics>();
        var storeHealth = app.Services.GetRequiredService<Storage.IStoreHealth>();
        var clock = app.Services.GetRequiredService<TimeProvider>();
        metrics.CollectFrom(() =>
        {
            var snap = store.Current;
            return new Metrics.ClusterFigures(snap.All(Storage.Schema.Agents), snap.All(Storage.Schema.Deployments).Count(), snap.Index,
                leadership.IsLeader, storeHealth.IsStale, clock.GetUtcNow() - storeHealth.LastContact);
        });
        Metrics.RequestMetrics.UseRequestMetrics(app);
        app.UseStaleFlag();
        app.UseDroverErrors();
        app.UseLeaderForwarding();
        app.UseApiTokens(security);
        Status.InfoEndpoints.MapInfoEndpoints(app);
        app.MapLeaderEndpoints();
        Metrics.MetricsEndpoints.MapMetricsEndpoints(app);
        app.MapTrustEndpoints();
        app.MapAppEndpoints();
        app.MapAppHistoryEndpoints();
        app.MapTaskEndpoints();
        Stats.StatsEndpoints.MapStatsEndpoints(app);
        Status.StatusEndpoints.MapStatusEndpoints(app);
        app.MapQueueEndpoints();
        app.MapAgentEndpoints();
        LoadBalancing.LbEndpoints.MapLbEndpoints(app);
        Deployments.DeploymentEndpoints.MapDeploymentEndpoints(app);
        Events.EventEndpoints.MapEventEndpoints(app);
        Groups.GroupEndpoints.MapGroupEndpoints(app);
        DnsService.MesosDnsEndpoints.MapMesosDnsEndpoints(app);
        Consul.DiscoveryRegistration.MapDiscovery(app);
        Ui.UiEndpoints.MapUiEndpoints(app);
        return app;
    }

    /// <summary>
    /// Binds DNS and HTTP and starts serving. On failure everything started so far is stopped and the server is
    /// disposed (store closed, data directory unlocked); disposing it again is harmless.
    /// </summary>
    /// <exception cref="ListenAddressInUseException">The HTTP (listener "http") or DNS ("dns") address is taken.</exception>
    public async Task StartAsync(CancellationToken ct = default)
    {
        var options = _app.Services.GetRequiredService<ServerOptions>();
        var http = options.ListenEndPoint();
        try
        {
            // Both binds happen before the web host starts: a host whose start fails logs the error with its whole
            // stack trace, and an operator should see one line naming the port.
            ListenProbe.ThrowIfTcpInUse(http, ListenAddressInUseException.Http);
            if (options.TlsListen is { } tls) ListenProbe.ThrowIfTcpInUse(ServerOptions.ParseEndPoint(tls), ListenAddressInUseException.Https);
            await _app.Services.GetRequiredService<DnsService.DnsHost>().StartAsync(ct);
            await _app.StartAsync(ct);
        }
        catch (Exception e)
        {
            await StopAfterFailedStartAsync();
            // the probe passed, but another program took the port before Kestrel bound it
            if (e is not ListenAddressInUseException && ListenAddressInUseException.IsAddressInUse(e))
                throw new ListenAddressInUseException(http.ToString(), ListenAddressInUseException.Http, e);
            throw;
        }
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Url = Reachable(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)));
        var security = _app.Services.GetRequiredService<ServerSecurity>();
        if (addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.Ordinal)) is { } https)
        {
            security.TlsUrl = Reachable(https);
            _app.Services.GetRequiredService<SecurityLog>().TlsListening(security.TlsUrl.ToString(),
                security.CaGenerated ? $"issued by the cluster CA (sha256 {security.Join?.CaDigest ?? Api.Security.JoinToken.DigestOf(security.Ca!)})" : security.TlsCertificate!.Subject);
        }
        var id = _app.Services.GetRequiredService<ServerIdentity>();
        id.Host = Url.Host;
        id.Port = Url.Port;
        id.AdvertisedHostPort = $"{options.Advertise ?? Url.Host}:{options.AdvertisePort ?? Url.Port}";
        id.MarkBound();
        _app.Services.GetRequiredService<ServerLog>().Listening(Url.ToString(), StateDescription(options, _dataDirLock));
    }

    private static string StateDescription(ServerOptions options, DataDirLock? dataDirLock) =>
        options.Etcd is { } etcd ? $"etcd {etcd} {options.EtcdPrefix}" : dataDirLock is null ? "in memory" : Path.Combine(dataDirLock.Directory, StateFile);

    private static Uri Reachable(string address) => new(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));

    /// <summary>This server leads now (always true for a single server on SQLite).</summary>
    public bool IsLeader => _app.Services.GetRequiredService<Leadership.ILeadership>().IsLeader;

    /// <summary>The join token agents need (print it for the operator); null when agents are not checked.</summary>
    public Api.Security.JoinToken? JoinToken => _app.Services.GetRequiredService<ServerSecurity>().Join;

    /// <summary>The HTTPS base URL (after <see cref="StartAsync"/>), or null when TLS is off.</summary>
    public Uri? TlsUrl => _app.Services.GetRequiredService<ServerSecurity>().TlsUrl;

    /// <summary>The join token, TLS material and API token settings this server runs with.</summary>
    public ServerSecurity Security => _app.Services.GetRequiredService<ServerSecurity>();

    /// <summary>The DNS server's bound endpoint (UDP and TCP), or null when DNS is off.</summary>
    public System.Net.IPEndPoint? DnsEndpoint => _app.Services.GetRequiredService<DnsService.DnsHost>().Server?.UdpEndpoint;

    /// <summary>Stops the scheduler from launching or killing anything; the API keeps serving.</summary>
    public void PauseScheduling() => _app.Services.GetRequiredService<ReconcileLoop>().Pause();

    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.Services.GetRequiredService<DnsService.DnsHost>().StopAsync(CancellationToken.None);
    }

    /// <summary>Whatever did start (hosted services, Kestrel, DNS) stops; then the store closes and the lock goes.</summary>
    private async Task StopAfterFailedStartAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _app.DisposeAsync();
            await _store.DisposeAsync();
        }
        finally
        {
            _dataDirLock?.Dispose(); // last: until the store is closed, the directory is still in use
        }
    }
}
