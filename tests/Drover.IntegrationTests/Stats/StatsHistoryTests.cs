using System.Net;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Stats;

/// <summary>One real server and agent sampling its stats every 500 ms (instead of the default 10 s), for a history within seconds.</summary>
public sealed class FastStatsClusterFixture : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LocalCluster.StartWithAgentArgsAsync(1, "--stats-interval", "500ms", "--stats-history", "1m");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The stats history through a real server and agent: a task burning CPU has a history of several samples, each with
/// the CPU it burned since the previous one, oldest first; the host has its own; since= cuts; bad input is named.
/// </summary>
public sealed class StatsHistoryTests(FastStatsClusterFixture fixture, ITestOutputHelper output) : IClassFixture<FastStatsClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    // a fifth of a core, capped where cgroups allow it: enough to show, little to take from a shared machine
    private const string Burner = """
        {"id":"/it/history/burn","cmd":"exec python3 -c \"while True: pass\"","instances":1,"cpus":0.2,"mem":64,
         "labels":{"DROVER_CPU_HARD_LIMIT":"true"}}
        """;

    [Fact(Timeout = 180_000)]
    public async Task A_task_burning_cpu_has_a_history_of_samples_and_so_does_its_host()
    {
        try
        {
            await C.ApplyAsync(Burner);
            var app = await C.WaitForRunningAsync("/it/history/burn", 1);
            var taskId = app.Tasks!.Single().Id;

            var history = await Eventually.GetAsync(async () =>
            {
                var h = await C.Client.GetTaskStatsHistoryAsync(taskId);
                output.WriteLine($"{h.Samples.Count} samples, rates {string.Join(' ', h.Samples.Select(s => s.CpuRate))}");
                return h.Samples.Count(s => s.CpuRate > 0.05) >= 4 ? h : null;
            }, TimeSpan.FromSeconds(60), "the task's history holds four samples that show it burning CPU", C.Diagnostics);

            Assert.Equal(taskId, history.TaskId);
            Assert.Equal("/it/history/burn", history.AppId);
            Assert.Equal("host-1", history.Host);
            Assert.NotNull(history.AgentId);
            Assert.Equal(0.5, history.IntervalSeconds);
            Assert.Equal(60, history.RetentionSeconds);
            var samples = history.Samples;
            Assert.True(samples.Zip(samples.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp), "oldest first");
            Assert.True(samples.Zip(samples.Skip(1)).All(p => p.First.CpuUsageSeconds <= p.Second.CpuUsageSeconds), "CPU time only grows");
            Assert.All(samples, s => Assert.True(s.MemoryBytes > 0));
            // one sample per interval, give or take a slow read
            var gaps = samples.Zip(samples.Skip(1)).Select(p => (p.Second.Timestamp - p.First.Timestamp).TotalSeconds).ToList();
            Assert.InRange(gaps.Average(), 0.3, 2.0);

            var mark = samples[^2].Timestamp;
            var newer = await C.Client.GetTaskStatsHistoryAsync(taskId, mark);
            Assert.NotEmpty(newer.Samples);
            Assert.All(newer.Samples, s => Assert.True(s.Timestamp > mark, $"{s.Timestamp:O} is after {mark:O}"));

            var host = await Eventually.GetAsync(async () =>
            {
                var h = await C.Client.GetAgentStatsHistoryAsync("host-1");
                return h.Samples.Count(s => s.CpuRate is not null) >= 4 ? h : null;
            }, TimeSpan.FromSeconds(30), "the host's history holds four samples with a CPU rate", C.Diagnostics);
            Assert.Equal("host-1", host.Hostname);
            Assert.Equal(history.AgentId, host.AgentId);
            Assert.All(host.Samples, s =>
            {
                Assert.Equal(Environment.ProcessorCount, s.Cores);
                Assert.True(s.MemoryTotalBytes > s.MemoryUsedBytes);
                Assert.NotNull(s.Load1);
            });
            Assert.Contains(host.Samples, s => s.Tasks >= 1);
        }
        catch
        {
            output.WriteLine(C.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Bad_input_gets_a_clear_error_naming_it()
    {
        var unknown = await Assert.ThrowsAsync<DroverApiException>(() => C.Client.GetTaskStatsHistoryAsync("no-such-task"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("Task 'no-such-task' does not exist", unknown.Message);

        var agent = await Assert.ThrowsAsync<DroverApiException>(() => C.Client.GetAgentStatsHistoryAsync("no-such-host"));
        Assert.Equal(HttpStatusCode.NotFound, agent.Status);

        using var http = new HttpClient { BaseAddress = C.BaseAddress };
        using var resp = await http.GetAsync("/v1/drover/agents/host-1/stats/history?since=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        Assert.Contains("since: 'yesterday' is not a time", body.RootElement.GetProperty("message").GetString());
    }
}
