using Drover.Agent.Cgroups;
using Drover.Agent.Tasks;
using Drover.Core.Cluster;
using Drover.Core.Discovery;
using Drover.Core.Metrics;

namespace Drover.Agent.Metrics;

/// <summary>
/// What an agent exposes at <c>GET /metrics</c>: its tasks by state, launches and failures, health probe results and,
/// for tasks in a cgroup (the process driver with cgroups; Docker tasks through Docker's stats), CPU and memory
/// labelled app, task and host as cAdvisor labels containers. Resource figures are read at scrape time, from files
/// the kernel keeps anyway: nothing is polled between scrapes.
/// </summary>
public sealed class AgentMetrics
{
    public MetricRegistry Registry { get; } = new();

    private readonly Counter _launches;
    private readonly Counter _launchFailures;
    private readonly CounterFamily _ended;
    private readonly CounterFamily _probes;
    private readonly Counter _logLinesShipped;
    private readonly Counter _logLinesDropped;
    private readonly Counter _logBytesLost;

    public AgentMetrics()
    {
        var r = Registry;
        _launches = r.Counter("drover_agent_task_launches_total", "Tasks this agent started to launch (fetch and start).");
        _launchFailures = r.Counter("drover_agent_task_launch_failures_total",
            "Launches that failed before the task ran (fetch failed, port held, driver error).");
        _ended = r.CounterFamily("drover_agent_tasks_ended_total", "Tasks that ended on this agent, by final state (failed, finished, killed).", "state");
        foreach (var s in new[] { TaskState.Failed, TaskState.Finished, TaskState.Killed }) _ended.WithLabels(StateLabel(s));
        _probes = r.CounterFamily("drover_agent_health_probe_results_total",
            "Health check probes of this agent's tasks, by result (passing, warning, critical).", "status");
        foreach (var s in Enum.GetValues<HealthStatus>()) _probes.WithLabels(StatusLabel(s));
        _logLinesShipped = r.Counter("drover_agent_log_lines_shipped_total", "Task log lines delivered to the --log-ship collector.");
        _logLinesDropped = r.Counter("drover_agent_log_lines_dropped_total",
            "Task log lines not shipped because the shipping buffer was full (collector down or slow); they are still in the sandbox files.");
        _logBytesLost = r.Counter("drover_agent_log_bytes_lost_total",
            "Task log bytes never shipped because rotation deleted (--log-max-files) or cut (a burst over --log-max-size) them before the agent read them.");
    }

    public void Launching() => _launches.Inc();
    public void LaunchFailed() => _launchFailures.Inc();
    public void Ended(TaskState state) => _ended.WithLabels(StateLabel(state)).Inc();
    public void Probed(HealthStatus status) => _probes.WithLabels(StatusLabel(status)).Inc();
    public void LogLinesShipped(int count) => _logLinesShipped.Inc(count);
    public void LogLinesDropped(int count) => _logLinesDropped.Inc(count);
    public void LogBytesLost(long bytes) => _logBytesLost.Inc(bytes);

    private volatile IReadOnlyList<(string App, string Task, TaskResourceUsage Usage)> _usage = [];

    /// <summary>
    /// Reads every running task's resource usage (cgroup files for the process driver, Docker's stats for containers);
    /// the endpoint awaits this before rendering, since a collector cannot wait. A task whose figures cannot be read
    /// (no cgroup, the container just gone, Docker slow) is left out of this scrape rather than failing it.
    /// </summary>
    public async Task RefreshUsageAsync(LocalTasks tasks, CancellationToken ct)
    {
        var list = new List<(string, string, TaskResourceUsage)>();
        foreach (var runner in tasks.All())
        {
            if (runner.IsTerminal || runner.Handle is not { } handle) continue;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                if (await handle.ReadUsageAsync(timeout.Token).ConfigureAwait(false) is { } usage) list.Add((runner.Spec.AppId, runner.TaskId, usage));
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or UnauthorizedAccessException && !ct.IsCancellationRequested)
            {
            }
        }
        _usage = list;
    }

    /// <summary>Task gauges from the agent's task table, and the usage last read, at each scrape.</summary>
    public void CollectFrom(LocalTasks tasks, string host)
    {
        var r = Registry;
        var byState = r.GaugeFamily("drover_agent_tasks", "Tasks on this agent, by state (staging, running, and ended ones not yet acknowledged).", "state");
        var cpu = r.CounterFamily("drover_agent_task_cpu_seconds_total", "CPU time used by a task's cgroup (cpu.stat usage_usec on cgroup v2).", "app", "task", "host");
        var mem = r.GaugeFamily("drover_agent_task_memory_bytes", "Memory charged to a task's cgroup (memory.current on cgroup v2).", "app", "task", "host");
        var limit = r.GaugeFamily("drover_agent_task_memory_limit_bytes", "A task's memory limit (memory.max), when it has one.", "app", "task", "host");
        r.OnCollect(() =>
        {
            byState.Clear();
            foreach (var s in new[] { TaskState.Staging, TaskState.Running }) byState.WithLabels(StateLabel(s)).Set(0);
            foreach (var runner in tasks.All()) byState.WithLabels(WireLabel(runner.Status().State)).Inc();
            // label sets of tasks that are gone disappear: rebuilt from the last read each time
            cpu.Clear();
            mem.Clear();
            limit.Clear();
            foreach (var (app, task, usage) in _usage)
            {
                cpu.WithLabels(app, task, host).Inc(usage.CpuUsageNanos / 1e9);
                mem.WithLabels(app, task, host).Set(usage.MemoryBytes);
                if (usage.MemoryLimitBytes is { } max) limit.WithLabels(app, task, host).Set(max);
            }
        });
    }

    private static string WireLabel(string wire) => wire.ToLowerInvariant().Replace("task_", "", StringComparison.Ordinal);

    private static string StateLabel(TaskState s) => WireLabel(s.ToWire());

    private static string StatusLabel(HealthStatus s) => s switch
    {
        HealthStatus.Passing => "passing",
        HealthStatus.Warning => "warning",
        _ => "critical",
    };
}
