using Drover.Api.Stats;

namespace Drover.Agent.Stats;

/// <summary>
/// What the agent remembers of its figures: one ring of samples for the host and one per running task, each
/// <see cref="Capacity"/> samples long (--stats-history / --stats-interval; 360 at the default 10 s for 1 h). In
/// memory only, as cAdvisor keeps its recent history: an agent restart starts it again, and a task's ring goes when the
/// task stops running here. A sample holds about 200 bytes, so at the defaults a ring is about 70 KiB: 7 MiB for 100 tasks.
/// </summary>
public sealed class StatsHistory(TimeSpan interval, TimeSpan retention, TimeProvider time)
{
    /// <summary>About what one sample costs in memory (a record of ten figures and its slot): what the stated bound uses.</summary>
    public const int ApproximateSampleBytes = 200;

    private readonly Dictionary<string, SampleRing<TaskStatsSample>> _tasks = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TimeSpan Interval => interval;
    public TimeSpan Retention => retention;
    /// <summary>Samples kept per ring: enough to cover the retention at one sample per interval.</summary>
    public int Capacity { get; } = CapacityFor(interval, retention);
    public SampleRing<HostStatsSample> Host { get; } = new(CapacityFor(interval, retention), retention, s => s.Timestamp);

    public static int CapacityFor(TimeSpan interval, TimeSpan retention) => Math.Max(1, (int)Math.Ceiling(retention / interval));

    /// <summary>Adds one reading of the host and its tasks; rings of tasks not in <paramref name="running"/> are dropped.</summary>
    public void Record(AgentStats stats, IReadOnlySet<string> running)
    {
        Host.Add(HostStatsSample.From(stats.Host));
        lock (_gate)
        {
            foreach (var gone in _tasks.Keys.Where(id => !running.Contains(id)).ToList()) _tasks.Remove(gone);
            foreach (var task in stats.Tasks)
            {
                if (!running.Contains(task.TaskId)) continue;
                if (!_tasks.TryGetValue(task.TaskId, out var ring))
                    _tasks[task.TaskId] = ring = new SampleRing<TaskStatsSample>(Capacity, retention, s => s.Timestamp);
                ring.Add(TaskStatsSample.From(task));
            }
        }
    }

    /// <summary>The task's kept samples newer than <paramref name="since"/>; null when the agent keeps none for it.</summary>
    public IReadOnlyList<TaskStatsSample>? ReadTask(string taskId, DateTimeOffset? since)
    {
        SampleRing<TaskStatsSample>? ring;
        lock (_gate) _tasks.TryGetValue(taskId, out ring);
        return ring?.Read(since, time.GetUtcNow());
    }

    public IReadOnlyList<HostStatsSample> ReadHost(DateTimeOffset? since) => Host.Read(since, time.GetUtcNow());

    /// <summary>Tasks with a ring now (for tests and the bound).</summary>
    public int TaskCount
    {
        get { lock (_gate) return _tasks.Count; }
    }
}
