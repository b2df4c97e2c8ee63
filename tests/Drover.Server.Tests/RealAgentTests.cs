using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Agent;
using Drover.Api.Client;
using Drover.Api.Marathon;

namespace Drover.Server.Tests;

/// <summary>
/// A real server with a real agent running real task processes: the log proxy (tail, since, follow),
/// failure messages carrying the task's last words, and health check causes as the API shows them.
/// </summary>
public sealed class RealAgentTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "drover-server-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly int _taskPort = FreePort();
    private TestServer _t = null!;
    private DroverAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _t = await TestServer.StartAsync();
        _agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = _t.Server.Url.ToString(),
            DataDir = _dataDir,
            Hostname = "real-agent",
            Cpus = 2,
            MemMb = 1024,
            Ports = _taskPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            EnableCgroups = false,
            KillTasksOnStop = true,
        });
        await _agent.StartAsync();
        await _agent.Registered.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync(); // kills the tasks
        await _t.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<MarathonTask> RunningTaskAsync(string appId) =>
        (await Eventually.Get(() => _t.Client.ListTasksAsync(appId), l => l.Any(x => x.State == "TASK_RUNNING"), $"{appId} running"))
            .First(x => x.State == "TASK_RUNNING");

    private async Task<string> LogAsync(string taskId, string stream = "stdout", int? tail = null, string? since = null)
    {
        var sb = new StringBuilder();
        await foreach (var chunk in _t.Client.StreamLogAsync(taskId, stream, tail: tail, since: since)) sb.Append(chunk);
        return sb.ToString();
    }

    [Fact(Timeout = 60_000)]
    public async Task Log_proxy_passes_tail_and_since_to_the_agent_and_refuses_bad_values_with_400()
    {
        await _t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """
            {"id":"/logs","instances":1,"cpus":0.1,"mem":16,
             "cmd":"for i in 1 2 3; do echo line$i; done; echo oops >&2; while [ ! -f go ]; do sleep 0.05; done; echo later; exec sleep 600"}
            """);
        var task = await RunningTaskAsync("/logs");
        await Eventually.Get(() => LogAsync(task.Id), l => l == "line1\nline2\nline3\n", "history written");

        Assert.Equal("line3\n", await LogAsync(task.Id, tail: 1));
        Assert.Equal("", await LogAsync(task.Id, tail: 0));
        Assert.Equal("line2\nline3\n", await LogAsync(task.Id, tail: 2, since: "10m"));
        Assert.Equal("", await LogAsync(task.Id, since: DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("oops\n", await LogAsync(task.Id, "stderr", tail: 5));

        foreach (var (query, message) in new[]
        {
            ("tail=-1", "tail must be a number of lines (0 or more) or 'all', not '-1'"),
            ("tail=", "tail must be a number of lines (0 or more) or 'all', not ''"),
            ("since=yesterday", "since must be an RFC 3339 timestamp (2024-05-01T12:00:00Z), unix seconds or milliseconds, or a duration like 10m, not 'yesterday'"),
        })
        {
            using var bad = await _t.Http.GetAsync($"/v2/tasks/{task.Id}/logs?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(message, (await TestServer.JsonOf(bad)).GetProperty("message").GetString());
        }
        var refused = await Assert.ThrowsAsync<DroverApiException>(() => LogAsync(task.Id, since: "last tuesday"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);

        // Following with tail=0: the headers come through the proxy at once, then only new output.
        using var follow = await _t.Http.GetAsync($"/v2/tasks/{task.Id}/logs?follow=true&tail=0", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
        using var reader = new StreamReader(await follow.Content.ReadAsStreamAsync());
        await File.WriteAllTextAsync(Path.Combine(_agent.Tasks.Find(task.Id)!.Sandbox!, "go"), "");
        Assert.Equal("later", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_task_shows_its_last_stderr_line_in_lastTaskFailure_and_the_status_event()
    {
        const string expected = "exited with code 1: python3: can't open file '/x/app.py': [Errno 2] No such file or directory";
        await using var sse = await SseClient.ConnectAsync(_t.Server.Url, "?event_type=status_update_event");
        await _t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """
            {"id":"/crash","instances":1,"cpus":0.1,"mem":16,"backoffSeconds":60,
             "cmd":"echo starting; echo \"python3: can't open file '/x/app.py': [Errno 2] No such file or directory\" >&2; exit 1"}
            """);

        var failed = await sse.WaitForAsync(e => e.Data.GetProperty("appId").GetString() == "/crash" && e.Data.GetProperty("taskStatus").GetString() == "TASK_FAILED",
            "TASK_FAILED event", TimeSpan.FromSeconds(30));
        Assert.Equal(expected, failed.Data.GetProperty("message").GetString());
        var app = await Eventually.Get(() => _t.Client.GetAppAsync("/crash"), a => a.LastTaskFailure is not null, "lastTaskFailure recorded");
        Assert.Equal(expected, app.LastTaskFailure!.Message);
        Assert.Equal("TASK_FAILED", app.LastTaskFailure.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failing_http_check_shows_the_cause_and_the_failures_in_a_row_on_the_app()
    {
        await _t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """
            {"id":"/sick","instances":1,"cpus":0.1,"mem":16,
             "cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1",
             "healthChecks":[{"protocol":"HTTP","path":"/nope","gracePeriodSeconds":0,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":0}]}
            """);
        var cause = $"HTTP 404 Not Found from http://127.0.0.1:{_taskPort}/nope";
        var app = await Eventually.Get(() => _t.Client.GetAppAsync("/sick"),
            a => a.Tasks is [{ HealthCheckResults: [{ LastFailureCause: var c, ConsecutiveFailures: >= 3 }] }] && c == cause,
            "three failures in a row with the 404 as cause", TimeSpan.FromSeconds(40));
        var result = app.Tasks![0].HealthCheckResults![0];
        Assert.False(result.Alive);
        Assert.NotNull(result.LastFailure);
        Assert.Equal(app.Tasks[0].Id, result.TaskId);
        Assert.Equal(0, app.TasksHealthy);
        Assert.Equal(1, app.TasksUnhealthy);

        // The count keeps rising as the checks go on failing (maxConsecutiveFailures 0: never killed).
        var seen = result.ConsecutiveFailures;
        await Eventually.Get(() => _t.Client.GetAppAsync("/sick"),
            a => a.Tasks is [{ HealthCheckResults: [{ ConsecutiveFailures: var n }] }] && n > seen, "the count goes on rising", TimeSpan.FromSeconds(30));
    }
}
