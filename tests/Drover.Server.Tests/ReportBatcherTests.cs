using System.Text;
using Drover.Server.Agents;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>Agent reports that arrive while a write is in flight are written together, in order per agent, and a failed write fails only its own batch.</summary>
public sealed class ReportBatcherTests
{
    /// <summary>The in-memory store, whose writes wait at a gate the test opens, and which can refuse the next write.</summary>
    private sealed class GatedStore : IStateStore
    {
        private readonly InMemoryStateStore _inner = new();
        private readonly SemaphoreSlim _gate = new(0);
        public int Writes;
        public TaskCompletionSource FirstWriteWaiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool RefuseNext { get; set; }
        public StateSnapshot Current => _inner.Current;

        public async Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default)
        {
            FirstWriteWaiting.TrySetResult();
            await _gate.WaitAsync(ct);
            Interlocked.Increment(ref Writes);
            if (RefuseNext)
            {
                RefuseNext = false;
                throw new IOException("store down (test)");
            }
            return await _inner.ApplyAsync(ops, ct);
        }

        public void Open(int writes) => _gate.Release(writes);

        public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => _inner.WatchAsync(sinceIndex, ct);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }

    /// <summary>A report that appends its name to the agent's key: the stored value shows the order the reports were written in.</summary>
    private static ReportBatcher.Decide Append(string agent, string name) => (s, _, _) =>
    {
        var before = s.Entry("log", agent) is { } e ? Encoding.UTF8.GetString(e.Value) : "";
        return [new StateOp("log", agent, Encoding.UTF8.GetBytes(before + name + ";"))];
    };

    /// <summary>A batcher on <paramref name="store"/> whose first report's write is in flight (held at the gate).</summary>
    private static async Task<(ReportBatcher Batcher, Task First)> FirstWriteHeldAsync(GatedStore store, string agent, int size, ReportBatcher.Decide decide)
    {
        var batcher = new ReportBatcher(new StateWriter(store));
        var first = batcher.SubmitAsync(agent, size, decide);
        await store.FirstWriteWaiting.Task;
        return (batcher, first);
    }

    private static string Log(GatedStore store, string agent) => Encoding.UTF8.GetString(store.Current.Entry("log", agent)!.Value);

    [Fact(Timeout = 10000)]
    public async Task Reports_arriving_during_a_write_go_into_one_batch()
    {
        await using var store = new GatedStore();
        var (batcher, first) = await FirstWriteHeldAsync(store, "a0", 1, Append("a0", "r"));
        var rest = Enumerable.Range(1, 20).Select(i => batcher.SubmitAsync($"a{i}", 1, Append($"a{i}", "r"))).ToList();

        store.Open(10);
        await first;
        await Task.WhenAll(rest);

        Assert.Equal(2, store.Writes);
        Assert.Equal(2, batcher.Batches);
        for (var i = 0; i <= 20; i++) Assert.Equal("r;", Log(store, $"a{i}"));
    }

    [Fact(Timeout = 10000)]
    public async Task An_agents_reports_are_written_one_per_batch_in_the_order_they_came()
    {
        await using var store = new GatedStore();
        var (batcher, first) = await FirstWriteHeldAsync(store, "a", 1, Append("a", "1"));
        var later = new[]
        {
            batcher.SubmitAsync("a", 1, Append("a", "2")),
            batcher.SubmitAsync("b", 1, Append("b", "1")),
            batcher.SubmitAsync("a", 1, Append("a", "3")),
        };

        store.Open(10);
        await first;
        await Task.WhenAll(later);

        Assert.Equal("1;2;3;", Log(store, "a"));
        Assert.Equal("1;", Log(store, "b"));
        Assert.Equal(3, batcher.Batches); // a1; a2 with b1; a3
    }

    [Fact(Timeout = 10000)]
    public async Task A_refused_write_fails_its_own_reports_and_the_next_batch_is_written()
    {
        await using var store = new GatedStore { RefuseNext = true };
        var batcher = new ReportBatcher(new StateWriter(store));
        var refused = batcher.SubmitAsync("a", 1, Append("a", "lost"));
        await store.FirstWriteWaiting.Task;
        var next = batcher.SubmitAsync("b", 1, Append("b", "kept"));

        store.Open(10);
        await Assert.ThrowsAsync<IOException>(() => refused);
        await next;

        Assert.Null(store.Current.Entry("log", "a"));
        Assert.Equal("kept;", Log(store, "b"));
    }

    [Fact(Timeout = 10000)]
    public async Task A_batch_holds_at_most_the_bound_of_task_reports()
    {
        await using var store = new GatedStore();
        var (batcher, first) = await FirstWriteHeldAsync(store, "a0", 1, Append("a0", "r"));
        var half = ReportBatcher.MaxTaskReportsPerBatch / 2 + 1;
        var big = Enumerable.Range(1, 3).Select(i => batcher.SubmitAsync($"a{i}", half, Append($"a{i}", "r"))).ToList();

        store.Open(10);
        await first;
        await Task.WhenAll(big);

        Assert.Equal(4, batcher.Batches); // two of more than half the bound never share a batch
    }
}

/// <summary>The agent protocol over a real server: heartbeats that change nothing write nothing, and many agents reporting at once all land.</summary>
public sealed class AgentReportWriteTests
{
    [Fact(Timeout = 60000)]
    public async Task A_heartbeat_that_changes_nothing_does_not_write()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("h1");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/quiet","cmd":"sleep 100","instances":2,"cpus":0.1,"mem":16}""");
        var tasks = (await t.AssignmentsAsync(agent, a => a.Tasks.Count == 2)).Tasks;
        var running = tasks.Select(x => new Drover.Api.Agents.TaskStatusReport { TaskId = x.Spec.TaskId, AppId = "/quiet", State = "TASK_RUNNING" }).ToList();
        await t.Client.ReportStatusAsync(agent, running);
        await t.DeploymentsFinishedAsync();
        var index = t.Writer.Current.Index;
        var batches = await ReportBatchesAsync(t);

        for (var i = 0; i < 5; i++) Assert.True((await t.Client.HeartbeatAsync(agent, new Drover.Api.Agents.AgentHeartbeat { Tasks = running })).Known);

        Assert.Equal(index, t.Writer.Current.Index);
        Assert.Equal(batches, await ReportBatchesAsync(t)); // not even a place in a batch: the writer was never asked
        Assert.All(t.Writer.Current.All(Storage.Schema.Tasks), x => Assert.Equal(Core.Cluster.TaskState.Running, x.State));
    }

    /// <summary>How many report batches the writer decided, from the server's /metrics.</summary>
    private static async Task<double> ReportBatchesAsync(TestServer t)
    {
        var metrics = await t.Http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("drover_state_writer_decide_seconds_count{writer=\"ReportBatcher\"}", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact(Timeout = 60000)]
    public async Task Many_agents_reporting_at_once_all_get_their_tasks_running()
    {
        await using var t = await TestServer.StartAsync();
        var agents = new List<string>();
        for (var i = 0; i < 20; i++) agents.Add(await t.RegisterAgentAsync($"h{i}"));
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/many","cmd":"sleep 100","instances":60,"cpus":0.1,"mem":16}""");
        var assigned = await Task.WhenAll(agents.Select(a => t.AssignmentsAsync(a, x => x.Tasks.Count == 3)));

        await Task.WhenAll(agents.Select((a, i) => t.Client.ReportStatusAsync(a,
            assigned[i].Tasks.Select(x => new Drover.Api.Agents.TaskStatusReport { TaskId = x.Spec.TaskId, AppId = "/many", State = "TASK_RUNNING" }).ToList())));

        var tasks = t.Writer.Current.All(Storage.Schema.Tasks).ToList();
        Assert.Equal(60, tasks.Count);
        Assert.All(tasks, x => Assert.Equal(Core.Cluster.TaskState.Running, x.State));
    }
}

/// <summary>A reconcile pass writes a bounded number of launches; the next passes launch the rest.</summary>
public sealed class LaunchesPerPassTests
{
    [Fact(Timeout = 60000)]
    public async Task Launches_beyond_the_bound_come_in_later_passes()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { MaxLaunchesPerPass = 2 });
        await t.RegisterAgentAsync("h1");
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/bounded","cmd":"sleep 100","instances":7,"cpus":0.1,"mem":16}""");

        await Eventually.Get(() => Task.FromResult(t.Writer.Current.Entries(Storage.Schema.Tasks.Name).Count), n => n == 7, "all 7 launched");

        // every task's entry was created by the write that launched it: no write created more than the bound
        var perWrite = t.Writer.Current.Entries(Storage.Schema.Tasks.Name).Values.GroupBy(e => e.CreateIndex).Select(g => g.Count()).ToList();
        Assert.All(perWrite, n => Assert.True(n <= 2, $"a pass launched {n} tasks"));
        Assert.True(perWrite.Count >= 4);
    }

    [Fact]
    public void A_bound_below_one_is_refused_naming_it() =>
        Assert.Contains("launches per reconcile pass", Assert.Throws<ArgumentException>(() => new ServerOptions { MaxLaunchesPerPass = 0 }.Validate()).Message);
}
