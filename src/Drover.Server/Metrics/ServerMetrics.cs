using Drover.Core.Cluster;
using Drover.Core.Metrics;
using Drover.Scheduling;

namespace Drover.Server.Metrics;

/// <summary>
/// Everything the server exposes at <c>GET /metrics</c>. Hooks hold the children they increment; values that are
/// cheaper to read from the snapshot than to track (agents by state, deployments running, leadership) are set by a
/// collector at scrape time. Names follow Prometheus conventions: <c>drover_</c> prefix, base units in the name
/// (<c>_seconds</c>), <c>_total</c> on counters.
/// </summary>
public sealed class ServerMetrics
{
    public MetricRegistry Registry { get; } = new();

    private readonly HistogramFamily _requests;
    private readonly Counter _storeWrites;
    private readonly Histogram _storeWriteSeconds;
    private readonly Counter _storeWriteFailures;
    private readonly Counter _storeWriteConflicts;
    private readonly Histogram _reconcileSeconds;
    private readonly HistogramFamily _reconcilePhaseSeconds;
    private readonly Histogram _writerWaitSeconds;
    private readonly HistogramFamily _writerDecideSeconds;
    private readonly Counter _placements;
    private readonly GaugeFamily _unplaced;
    private readonly CounterFamily _deploymentsFinished;
    private readonly HistogramFamily _deploymentSeconds;
    private readonly CounterFamily _checkResults;

    /// <summary>Reasons an instance waits, as /v2/queue reports them, plus Backoff (a launch delay after failures).</summary>
    public const string BackoffReason = "Backoff";
    private static readonly string[] UnplacedReasons =
    [
        RejectReasons.InsufficientCpus, RejectReasons.InsufficientMemory, RejectReasons.InsufficientDisk, RejectReasons.InsufficientPorts,
        RejectReasons.UnfulfilledConstraint, RejectReasons.AgentMaintenance, RejectReasons.NoActiveAgents, RejectReasons.NoDriver, BackoffReason,
    ];

    /// <param name="storeKind">etcd, sqlite or memory: the label of the store metrics.</param>
    public ServerMetrics(string storeKind)
    {
        var r = Registry;
        StoreKind = storeKind;
        _requests = r.HistogramFamily("drover_http_request_duration_seconds",
            "API request latency by route group (apps, tasks, deployments, groups, consul, events, agents, other) and status class.",
            Buckets.Default, "route", "status");
        _storeWrites = r.CounterFamily("drover_store_writes_total", "Batches written to the state store.", "store").WithLabels(StoreKind);
        _storeWriteFailures = r.CounterFamily("drover_store_write_failures_total", "State store writes that failed (no quorum, fenced, I/O).", "store").WithLabels(StoreKind);
        _storeWriteConflicts = r.CounterFamily("drover_store_write_conflicts_total",
            "Writes decided again because a collection their decision read was written meanwhile (optimistic concurrency).", "store").WithLabels(StoreKind);
        _storeWriteSeconds = r.HistogramFamily("drover_store_write_duration_seconds", "Time to make one batch durable in the state store.",
            Buckets.Fast, "store").WithLabels(StoreKind);
        _reconcileSeconds = r.Histogram("drover_reconcile_duration_seconds", "Time of one reconcile pass (plan and write).", Buckets.Fast);
        _reconcilePhaseSeconds = r.HistogramFamily("drover_reconcile_phase_seconds",
            "Time of each part of a reconcile pass's decision (housekeeping, deployments, plan, launches, kills, queue).", Buckets.Fast, "phase");
        // where a write's time goes besides the store: waiting for this server's writer, and deciding (the caller's
        // reads and plan, events rendered), both under the writer's lock for the decide part
        _writerWaitSeconds = r.Histogram("drover_state_writer_wait_seconds", "Time a write waited for this server's writer before deciding.", Buckets.Fast);
        _writerDecideSeconds = r.HistogramFamily("drover_state_writer_decide_seconds",
            "Time a write spent deciding its ops and rendering its events (per attempt), by the source file that made it.", Buckets.Fast, "writer");
        _placements = r.Counter("drover_scheduler_placements_total", "Task instances placed on an agent by the scheduler.");
        _unplaced = r.GaugeFamily("drover_scheduler_unplaced_instances",
            "Instances waiting to launch after the last reconcile pass, by reason an agent declined (as in /v2/queue; an instance can count under several) or Backoff.",
            "reason");
        foreach (var reason in UnplacedReasons) _unplaced.WithLabels(reason).Set(0);
        _deploymentsFinished = r.CounterFamily("drover_deployments_finished_total", "Deployments that ended, by result (succeeded, failed).", "result");
        _deploymentsFinished.WithLabels("succeeded");
        _deploymentsFinished.WithLabels("failed");
        _deploymentSeconds = r.HistogramFamily("drover_deployment_duration_seconds", "Time from a deployment's start to its end, by result.",
            Buckets.Slow, "result");
        _checkResults = r.CounterFamily("drover_health_check_results_total",
            "Results of the health checks the server runs (Consul-registered checks), by status (passing, warning, critical).", "status");
        Dns = new DnsMetrics(r);
    }

    /// <summary>etcd, sqlite or memory: the label of the store metrics.</summary>
    public string StoreKind { get; }

    public DnsMetrics Dns { get; }

    public Histogram Request(string routeGroup, int status) => _requests.WithLabels(routeGroup, StatusClass(status));

    public void StoreWritten(long startTimestamp)
    {
        _storeWrites.Inc();
        _storeWriteSeconds.ObserveSince(startTimestamp);
    }

    public void StoreWriteFailed() => _storeWriteFailures.Inc();

    public void StoreWriteConflicted() => _storeWriteConflicts.Inc();

    public void Reconciled(long startTimestamp) => _reconcileSeconds.ObserveSince(startTimestamp);

    /// <summary>Observes the time since <paramref name="lapTimestamp"/> under <paramref name="phase"/> and returns now, the start of the next phase.</summary>
    public long ReconcilePhase(string phase, long lapTimestamp)
    {
        _reconcilePhaseSeconds.WithLabels(phase).ObserveSince(lapTimestamp);
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public void WriterWaited(long startTimestamp) => _writerWaitSeconds.ObserveSince(startTimestamp);

    /// <param name="writer">Who decided the write (a source file's name: a handful of values).</param>
    public void WriteDecided(string writer, long startTimestamp) => _writerDecideSeconds.WithLabels(writer).ObserveSince(startTimestamp);

    public void Placed(int count)
    {
        if (count > 0) _placements.Inc(count);
    }

    /// <summary>Sets the unplaced gauges from the queue the last written plan left.</summary>
    public void Unplaced(IReadOnlyList<QueueEntry> queue)
    {
        Span<int> counts = stackalloc int[UnplacedReasons.Length];
        foreach (var e in queue)
        {
            if (e.DelayUntil is not null) counts[^1] += e.Count;
            foreach (var reason in e.RejectSummary)
            {
                var i = Array.IndexOf(UnplacedReasons, reason.Reason);
                if (i >= 0 && reason.Declined > 0) counts[i] += e.Count;
            }
        }
        for (var i = 0; i < counts.Length; i++) _unplaced.WithLabels(UnplacedReasons[i]).Set(counts[i]);
    }

    public void DeploymentFinished(bool succeeded, TimeSpan duration)
    {
        var result = succeeded ? "succeeded" : "failed";
        _deploymentsFinished.WithLabels(result).Inc();
        _deploymentSeconds.WithLabels(result).Observe(Math.Max(0, duration.TotalSeconds));
    }

    public void CheckResult(Core.Discovery.HealthStatus status) => _checkResults.WithLabels(status switch
    {
        Core.Discovery.HealthStatus.Passing => "passing",
        Core.Discovery.HealthStatus.Warning => "warning",
        _ => "critical",
    }).Inc();

    /// <summary>
    /// Gauges read at each scrape from <paramref name="read"/>, which the host builds from its snapshot, leadership and
    /// store health (this namespace depends on none of them: every other part of the server may count into it).
    /// </summary>
    public void CollectFrom(Func<ClusterFigures> read)
    {
        var r = Registry;
        var agents = r.GaugeFamily("drover_agents", "Agents known to the cluster, by state (active, draining, unreachable).", "state");
        var running = r.Gauge("drover_deployments_running", "Deployments in progress.");
        var leader = r.Gauge("drover_leader", "1 while this server leads the cluster (schedules, runs checks), else 0.");
        var stale = r.Gauge("drover_store_stale", "1 while this server's copy of the state cannot be confirmed against a store quorum, else 0.");
        var staleness = r.Gauge("drover_store_last_contact_age_seconds", "Seconds since the store last confirmed a quorum (0 for a local store).");
        var index = r.Gauge("drover_store_index", "The state store's index (rises with every write).");
        r.OnCollect(() =>
        {
            var f = read();
            foreach (var state in Enum.GetValues<AgentStatus>()) agents.WithLabels(AgentState(state)).Set(0);
            foreach (var a in f.Agents) agents.WithLabels(AgentState(a.Status)).Inc();
            running.Set(f.DeploymentsRunning);
            leader.Set(f.IsLeader ? 1 : 0);
            stale.Set(f.IsStale ? 1 : 0);
            staleness.Set(Math.Max(0, f.LastContactAge.TotalSeconds));
            index.Set(f.StoreIndex);
        });
    }

    private static string AgentState(AgentStatus s) => s.ToString().ToLowerInvariant();

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private static string StatusClass(int status) => status is >= 100 and < 600 ? StatusClasses[status / 100 - 1] : "5xx";
}

/// <summary>What the scrape-time gauges show, read by the host from its current state.</summary>
public sealed record ClusterFigures(IEnumerable<AgentInfo> Agents, int DeploymentsRunning, long StoreIndex, bool IsLeader, bool IsStale, TimeSpan LastContactAge);
