using System.Threading.Channels;
using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;
using Drover.Agent.Health;
using Drover.Agent.Logs;
using Drover.Agent.Ports;
using Drover.Agent.Tasks;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Api.Security;
using Drover.Core.Cluster;
using Drover.Core.Hosting;
using Drover.Core.Retry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent;

/// <summary>
/// The node agent: registers with the server, runs the tasks the server assigns (through its drivers),
/// runs their health checks, reports their state, and serves their logs. Stopping the agent leaves the
/// tasks running (unless <see cref="AgentOptions.KillTasksOnStop"/>); the next instance re-adopts them.
/// </summary>
public sealed partial class DroverAgent : IAsyncDisposable
{
    private const int StatusQueueCapacity = 4096;

    private readonly AgentOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly List<ITaskDriver> _drivers;
    /// <summary>True when the caller gave no drivers: the agent picks them (process, and docker when a daemon answers).</summary>
    private readonly bool _detectDrivers;
    private readonly DroverClient _client;
    private readonly ServerList _servers;
    private readonly JoinToken? _join;
    private readonly HealthProbeFactory _probes = new();
    private readonly LogIndexRecorder _logIndex;
    private readonly ReportSequence _reportSequence = new();

    private readonly Channel<TaskStatusReport> _statusQueue = Channel.CreateBounded<TaskStatusReport>(
        new BoundedChannelOptions(StatusQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<string> _registeredOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DataDirLock _dataDirLock;
    private readonly HeldPorts _heldPorts;
    private readonly LocalRestarts _restarts;
    private WebApplication? _web;
    private readonly Metrics.AgentMetrics _metrics = new();
    private readonly Stats.AgentStatsReader _stats;
    private Task _loops = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <param name="drivers">Task drivers in order of preference; default: one <see cref="ProcessDriver"/>.</param>
    /// <exception cref="DataDirLockedException">Another agent (or process) uses <see cref="AgentOptions.DataDir"/>.</exception>
    /// <remarks>The data directory stays locked until <see cref="StopAsync"/> or <see cref="DisposeAsync"/> (or a failed <see cref="StartAsync"/>).</remarks>
    public DroverAgent(AgentOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, IReadOnlyList<ITaskDriver>? drivers = null)
    {
        options.ValidateOrThrow();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger<DroverAgent>();
        _time = time ?? TimeProvider.System;
        // before anything reads or writes the directory (agent id, task records, sandboxes)
        _dataDirLock = DataDirLock.Acquire(options.DataDir);
        try
        {
            _detectDrivers = drivers is null;
            _drivers = drivers is not null ? [.. drivers] : [new ProcessDriver(new ProcessDriverOptions
            {
                DataDir = options.DataDir,
                EnableCgroups = options.EnableCgroups,
                CgroupParent = options.CgroupParent,
                CpuHardLimit = options.CpuHardLimit,
            }, _loggerFactory.CreateLogger<ProcessDriver>(), _time)];
            _join = options.Token is null ? null : JoinToken.Parse(options.Token);
            // only the secret goes to the server; a drover1 token's CA digest decides which servers to trust
            _client = DroverClient.Connect(options.ServerUris, _join?.Secret, _join is null ? null : ServerTrust.For(_join), out _servers);
            _servers.Switched += s => _log.ServerSwitched(s.From.ToString(), s.To.ToString(), s.Reason);
            _logIndex = new LogIndexRecorder(_log, options.LogRotation);
            _logShipping = NewLogShipping();
            Resources = ResourceDetector.Detect(options);
            _heldPorts = new HeldPorts(Resources.Ports, () => Tasks!.All().Where(r => !r.IsTerminal).SelectMany(r => r.Spec.Ports));
            Tasks = new LocalTasks(_drivers, new TaskRunnerContext
            {
                Time = _time,
                Log = _loggerFactory.CreateLogger("Drover.Agent.Tasks"),
                Probes = _probes,
                OnStatus = r => _statusQueue.Writer.TryWrite(_reportSequence.Stamp(r)),
                FindHeldPorts = _heldPorts.Among,
                Metrics = _metrics,
            });
            _metrics.CollectFrom(Tasks, options.Hostname);
            _stats = new Stats.AgentStatsReader(Tasks, options.DataDir, options.Hostname, _time);
            _historyReader = new Stats.AgentStatsReader(Tasks, options.DataDir, options.Hostname, _time);
            _history = new Stats.StatsHistory(options.StatsInterval, options.StatsRetention, _time);
            _restarts = new LocalRestarts(Tasks, _time, _loggerFactory.CreateLogger("Drover.Agent.Tasks"));
            _agentId = ReadAgentId();
        }
        catch
        {
            _dataDirLock.Dispose();
            throw;
        }
    }

    private void WarnOfEphemeralPorts()
    {
        if (EphemeralRange.Read() is not { } ephemeral) return;
        var overlap = EphemeralRange.Overlaps(Resources.Ports, ephemeral);
        if (overlap.Count > 0) _log.PortsInEphemeralRange(string.Join(", ", overlap), $"{ephemeral.Begin}-{ephemeral.End}");
    }

    public AgentOptions Options => _options;
    /// <summary>Resources offered to the server (detected, with option overrides).</summary>
    public AgentResources Resources { get; }
    /// <summary>Ports of this agent's ranges that programs other than its tasks hold, as of now.</summary>
    public IReadOnlyList<int> ScanHeldPorts() => _heldPorts.Scan();
    /// <summary>The tasks on this agent.</summary>
    public LocalTasks Tasks { get; }
    /// <summary>The id the server gave this agent (kept in DataDir/agent-id); null before the first registration.</summary>
    public string? AgentId => Volatile.Read(ref _agentId);
    /// <summary>Completes with the agent id once the agent has registered.</summary>
    public Task<string> Registered => _registeredOnce.Task;
    /// <summary>Base URL of the agent's HTTP endpoint as advertised to the server (available after start).</summary>
    public Uri Endpoint { get; private set; } = null!;
    /// <summary>The server the agent talks to now (the leader, once one answered as such).</summary>
    public Uri CurrentServer => _servers.Current;

    private string AgentIdPath => Path.Combine(_options.DataDir, "agent-id");

    /// <summary>Starts the HTTP endpoint, re-adopts recorded tasks, then joins the server in the background (never fails because the server is down).</summary>
    /// <exception cref="ListenAddressInUseException">The listen address (listener "agent") is taken.</exception>
    /// <remarks>A failed start leaves nothing running (tasks re-adopted so far keep running, as on a stop) and unlocks the data directory.</remarks>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the agent was already started");
        try
        {
            // the port first: a busy one fails before any task is re-adopted
            await StartHttpAsync(ct).ConfigureAwait(false);
            if (_detectDrivers) await DetectDockerAsync(ct).ConfigureAwait(false);
            _advertisedAddress = await ResolveAdvertisedAddressAsync(ct).ConfigureAwait(false);
            await Tasks.RecoverAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await AbandonStartAsync().ConfigureAwait(false);
            throw;
        }
        _log.AgentStarted(Endpoint, Tasks.All().Count, _options.ServerUrl);
        WarnOfEphemeralPorts();
        var stop = _stopping.Token;
        ServerAnswered(); // a fresh agent is not cut off until the server has had a chance to answer
        _loops = Task.WhenAll([
            RunLoopAsync("assignments", AssignmentsLoopAsync, stop),
            RunLoopAsync("heartbeat", HeartbeatLoopAsync, stop),
            RunLoopAsync("status", StatusLoopAsync, stop),
            RunLoopAsync("sandbox-gc", SandboxGcLoopAsync, stop),
            RunLoopAsync("log-index", LogIndexLoopAsync, stop),
            RunLoopAsync("local-restarts", LocalRestartLoopAsync, stop),
            RunLoopAsync("stats-history", StatsHistoryLoopAsync, stop),
            .. LogShipLoops(stop)]);
    }

    /// <summary>Stops talking to the server and serving HTTP. Tasks keep running unless <see cref="AgentOptions.KillTasksOnStop"/>.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _log.AgentStopping(_options.KillTasksOnStop);
        // Stop taking assignments first, so nothing new starts while tasks are being killed.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loops.ConfigureAwait(false);
        DisposeLogShipping();
        if (_options.KillTasksOnStop) await KillAllTasksAsync(ct).ConfigureAwait(false);
        await Tasks.DisposeAsync().ConfigureAwait(false);
        foreach (var d in _drivers) await d.DisposeAsync().ConfigureAwait(false);
        await StopHttpAsync().ConfigureAwait(false);
        _dataDirLock.Dispose();
    }

    private async Task AbandonStartAsync()
    {
        Interlocked.Exchange(ref _state, 2);
        await Tasks.DisposeAsync().ConfigureAwait(false);
        foreach (var d in _drivers) await d.DisposeAsync().ConfigureAwait(false);
        await StopHttpAsync().ConfigureAwait(false);
        _dataDirLock.Dispose();
    }

    private async Task StopHttpAsync()
    {
        var web = Interlocked.Exchange(ref _web, null);
        if (web is null) return;
        await web.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await web.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills every task, waits for them to end, and tells the server (best effort).</summary>
    public async Task KillAllTasksAsync(CancellationToken ct = default)
    {
        await Tasks.KillAllAsync(ct).ConfigureAwait(false);
        if (AgentId is not { } id) return;
        var final = Tasks.Snapshot();
        if (final.Count == 0) return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await _client.ReportStatusAsync(id, final, cts.Token).ConfigureAwait(false);
            Tasks.Acknowledge(final);
        }
        catch (Exception e) when (e is HttpRequestException or DroverApiException or OperationCanceledException)
        {
            _log.StatusReportFailed(final.Count, e.Message, TimeSpan.Zero);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _state) == 1) await StopAsync().ConfigureAwait(false);
        else if (Interlocked.Exchange(ref _state, 2) == 0)
        {
            foreach (var d in _drivers) await d.DisposeAsync().ConfigureAwait(false);
        }
        _client.Dispose();
        _probes.Dispose();
        _stopping.Dispose();
        _dataDirLock.Dispose();
    }

    /// <summary>Runs a loop until the agent stops; a loop that crashes is logged and restarted after a backoff.</summary>
    private async Task RunLoopAsync(string name, Func<CancellationToken, Task> loop, CancellationToken ct)
    {
        var backoff = NewBackoff();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await loop(ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LoopFailed(name, e);
            }
            try { await backoff.DelayAsync(backoff.Next(), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private Backoff NewBackoff() => new(_time, TimeSpan.FromMilliseconds(200), _options.MaxRetryDelay);

    /// <summary>
    /// Adds the docker driver when a daemon answers on the socket. Once, at start, as Mesos agents detect their
    /// containerizers: a daemon installed later needs an agent restart.
    /// </summary>
    private async Task DetectDockerAsync(CancellationToken ct)
    {
        if (_options.DockerSocket is not { Length: > 0 } socket) return;
        var (ok, detail) = await DockerDriver.DetectAsync(socket, ct).ConfigureAwait(false);
        if (!ok)
        {
            // The default socket missing is the normal case on a host without Docker: not worth a warning.
            if (socket == AgentOptions.DefaultDockerSocket && !File.Exists(socket)) _log.DockerDetected("none (" + detail + ")");
            else _log.DockerUnavailable(detail);
            return;
        }
        _log.DockerDetected(detail);
        _drivers.Add(new DockerDriver(new DockerDriverOptions { DataDir = _options.DataDir, Socket = socket, CpuHardLimit = _options.CpuHardLimit },
            _loggerFactory.CreateLogger<DockerDriver>(), _time));
    }

    /// <summary>Points containers at the server's DNS when they can reach it (see <see cref="ContainerDns"/>).</summary>
    private void ConfigureContainerDns(string? dnsEndpoint)
    {
        if (_drivers.OfType<DockerDriver>().FirstOrDefault() is not { } docker) return;
        var (servers, why) = ContainerDns.Choose(dnsEndpoint, _servers.Current.ToString()); // the server this agent registered with
        if (servers.SequenceEqual(docker.ContainerDns)) return;
        docker.ContainerDns = servers;
        if (servers.Count > 0) _log.ContainerDnsSet(why);
        else _log.ContainerDnsDefault(why);
    }

    private async Task SandboxGcLoopAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromMinutes(Math.Clamp(_options.SandboxRetention.TotalMinutes / 4, 1, 60));
        using var timer = new PeriodicTimer(every, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var keep = Tasks.All().Select(r => r.TaskId).ToHashSet(StringComparer.Ordinal);
            foreach (var driver in _drivers)
            {
                foreach (var path in driver.PruneSandboxes(_options.SandboxRetention, keep)) _log.SandboxPruned(path);
            }
        }
    }
}
