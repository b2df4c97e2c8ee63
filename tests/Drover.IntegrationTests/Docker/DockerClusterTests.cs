using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Docker;

/// <summary>
/// DOCKER apps through a real server and agent with a real dockerd: placed on the agent with Docker, reachable on
/// their host port, logged through the API and the CLI, replaced when killed behind Drover's back, re-adopted when
/// the agent restarts, and an OOM kill reported as the failure. On 127.0.0.1 for now; the same steps suit the
/// network-namespace harness (each host its own dockerd).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerClusterTests(DockerFixture docker, ITestOutputHelper output)
{
    private DockerDaemon D => docker.Daemon;

    private static string WebApp(string id, string network = "BRIDGE") => network == "BRIDGE"
        ? $$"""
          {"id":"{{id}}","container":{"type":"DOCKER","docker":{"image":"{{DockerDaemon.Image}}","network":"BRIDGE"},
            "portMappings":[{"containerPort":8080,"name":"http"}]},
           "cmd":"echo \"hello from $MESOS_TASK_ID\" > /www/index.html; echo started on host port $PORT0; exec httpd -f -v -p 8080 -h /www",
           "instances":1,"cpus":0.1,"mem":32,
           "healthChecks":[{"protocol":"HTTP","portIndex":0,"path":"/index.html","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":3}]}
          """
        : $$"""
          {"id":"{{id}}","container":{"type":"DOCKER","docker":{"image":"{{DockerDaemon.Image}}","network":"HOST"} },
           "portDefinitions":[{"port":0,"name":"http"}],
           "cmd":"echo \"hello from $MESOS_TASK_ID\" > /www/index.html; exec httpd -f -p 127.0.0.1:$PORT0 -h /www",
           "instances":1,"cpus":0.1,"mem":32,
           "healthChecks":[{"protocol":"HTTP","portIndex":0,"path":"/index.html","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":3}]}
          """;

    private async Task<ProcessResult> Cli(LocalCluster c, params string[] args)
    {
        var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), [.. args, "--server", c.BaseAddress.ToString()]);
        output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
        return r;
    }

    private async Task<JsonElement> InspectAsync(string taskId) =>
        JsonDocument.Parse(await D.DockerAsync("inspect", "drover-" + taskId)).RootElement[0];

    [Fact(Timeout = 240_000)]
    public async Task A_bridge_app_serves_on_its_host_port_logs_flow_and_a_killed_container_is_replaced()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1, dockerSocket: D.Socket);
        var agents = await c.Client.GetAgentsAsync();
        Assert.Equal(["process", "docker"], agents.Agents.Single().Agent.Drivers);
        Assert.Contains("process,docker", (await Cli(c, "agents")).Stdout);

        await c.ApplyAsync(WebApp("/dk/web"));
        var app = await c.WaitForRunningAsync("/dk/web", 1, TimeSpan.FromSeconds(90));
        var task = app.Tasks!.Single();
        var port = task.Ports.Single();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal($"hello from {task.Id}\n", await http.GetStringAsync($"http://127.0.0.1:{port}/index.html"));

        // What Docker was told: Marathon's env and Drover's labels.
        var inspect = await InspectAsync(task.Id);
        var env = inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("MARATHON_APP_ID=/dk/web", env);
        Assert.Contains($"MESOS_TASK_ID={task.Id}", env);
        Assert.Contains($"PORT0={port}", env);
        Assert.Contains("HOST=host-1", env);
        Assert.Equal(task.Id, inspect.GetProperty("Config").GetProperty("Labels").GetProperty("drover.task-id").GetString());
        Assert.Equal("/dk/web", inspect.GetProperty("Config").GetProperty("Labels").GetProperty("drover.app-id").GetString());

        // Logs through the CLI and the API: the tail, and a follower that sees new output (httpd -v logs each request).
        var tail = await Cli(c, "logs", "--tail", "1", task.Id);
        Assert.Equal(0, tail.ExitCode);
        Assert.Equal($"started on host port {port}", tail.Stdout.Trim());
        await using var follow = DroverProcess.Start(["logs", "-f", "--stderr", "--tail", "0", task.Id, "--server", c.BaseAddress.ToString()],
            new ProcessOptions { Name = "logs -f" });
        // tail 0: nothing of the history, so any line is output written after the follower joined.
        await Eventually.AsyncAssert(async () =>
        {
            await http.GetStringAsync($"http://127.0.0.1:{port}/index.html");
            return follow.Lines.Any(l => l.Text.Contains("response:200"));
        }, TimeSpan.FromSeconds(30), "the follower sees the requests httpd logs", () => follow.FormatOutput());
        Assert.DoesNotContain(follow.Lines, l => l.Text.Contains("started on host port"));
        var viaApi = "";
        await foreach (var chunk in c.Client.StreamLogAsync(task.Id, "stdout", tail: 5)) viaApi += chunk;
        Assert.Contains($"started on host port {port}", viaApi);

        // Killed behind Drover's back: noticed from Docker's events and replaced.
        await D.DockerAsync("kill", "drover-" + task.Id);
        app = await Eventually.GetAsync(async () =>
        {
            var a = await c.Client.GetAppAsync("/dk/web");
            return a.Tasks!.Count == 1 && a.Tasks[0].Id != task.Id && a.TasksHealthy == 1 ? a : null;
        }, TimeSpan.FromSeconds(90), "the killed container's task is replaced", c.Diagnostics);
        Assert.Contains("killed by signal 9", app.LastTaskFailure?.Message ?? "");
        Assert.Equal(task.Id, app.LastTaskFailure!.TaskId);
        var replacement = app.Tasks![0];
        Assert.Equal($"hello from {replacement.Id}\n", await http.GetStringAsync($"http://127.0.0.1:{replacement.Ports[0]}/index.html"));
        // The old container is gone, its output kept in the sandbox.
        Assert.Contains($"started on host port {port}", (await Cli(c, "logs", task.Id)).Stdout);
        await Assert.ThrowsAsync<InvalidOperationException>(() => D.DockerAsync("inspect", "drover-" + task.Id));

        await c.Client.DeleteAppAsync("/dk/web");
        await Eventually.AsyncAssert(async () => (await D.DockerAsync("ps", "-aq", "--filter", "label=drover.app-id=/dk/web")).Length == 0,
            TimeSpan.FromSeconds(60), "the app's containers are removed", c.Diagnostics);
    }

    [Fact(Timeout = 240_000)]
    public async Task An_agent_restart_readopts_running_containers_without_restarting_them()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1, dockerSocket: D.Socket);
        await c.ApplyAsync(WebApp("/dk/host", network: "HOST"));
        var app = await c.WaitForRunningAsync("/dk/host", 1, TimeSpan.FromSeconds(90));
        var task = app.Tasks!.Single();
        var before = await InspectAsync(task.Id);

        await c.RestartAgentAsync(0);
        await Eventually.AsyncAssert(async () => (await c.Client.GetAppAsync("/dk/host")).TasksHealthy == 1, TimeSpan.FromSeconds(60),
            "the re-adopted task is healthy again", c.Diagnostics);
        app = await c.Client.GetAppAsync("/dk/host");
        Assert.Equal(task.Id, app.Tasks!.Single().Id);
        var after = await InspectAsync(task.Id);
        Assert.Equal(before.GetProperty("Id").GetString(), after.GetProperty("Id").GetString());
        Assert.Equal(before.GetProperty("State").GetProperty("StartedAt").GetString(), after.GetProperty("State").GetProperty("StartedAt").GetString());
        Assert.True(after.GetProperty("State").GetProperty("Running").GetBoolean());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal($"hello from {task.Id}\n", await http.GetStringAsync($"http://127.0.0.1:{task.Ports[0]}/index.html"));

        // Still watched after the restart: a stop through Drover ends it.
        await c.Client.DeleteAppAsync("/dk/host");
        await Eventually.AsyncAssert(async () => (await D.DockerAsync("ps", "-aq", "--filter", "label=drover.app-id=/dk/host")).Length == 0,
            TimeSpan.FromSeconds(60), "the container is stopped and removed", c.Diagnostics);
    }

    [Fact(Timeout = 240_000)]
    public async Task An_oom_kill_is_the_apps_last_task_failure()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1, dockerSocket: D.Socket);
        await c.ApplyAsync($$"""
            {"id":"/dk/hog","container":{"type":"DOCKER","docker":{"image":"{{DockerDaemon.Image}}","network":"NONE"} },
             "cmd":"echo eating memory; x=aaaaaaaa; while true; do x=$x$x; done","instances":1,"cpus":0.1,"mem":32,"backoffSeconds":30}
            """);
        var app = await Eventually.GetAsync(async () =>
        {
            var a = await c.Client.GetAppAsync("/dk/hog");
            return a.LastTaskFailure is not null ? a : null;
        }, TimeSpan.FromSeconds(90), "the task fails", c.Diagnostics);
        Assert.StartsWith("OOM killed: memory limit 32 MiB", app.LastTaskFailure!.Message);
        Assert.Equal("TASK_FAILED", app.LastTaskFailure.State);
    }

    [Fact(Timeout = 240_000)]
    public async Task A_running_container_whose_child_was_oom_killed_shows_the_kill_in_its_stats()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1, dockerSocket: D.Socket);
        // the shell survives: only its memory hog child outgrows the 32 MiB limit and is killed
        await c.ApplyAsync($$"""
            {"id":"/dk/survivor","container":{"type":"DOCKER","docker":{"image":"{{DockerDaemon.Image}}","network":"NONE"} },
             "cmd":"sh -c 'x=aaaaaaaa; while true; do x=$x$x; done'; echo child ended; exec sleep 3600","instances":1,"cpus":0.1,"mem":32}
            """);
        var task = (await c.WaitForRunningAsync("/dk/survivor", 1, TimeSpan.FromSeconds(90))).Tasks!.Single();
        var stats = await Eventually.GetAsync(async () =>
        {
            var s = await c.Client.GetTaskStatsAsync(task.Id);
            return s.Memory?.OomKills > 0 ? s : null;
        }, TimeSpan.FromSeconds(60), "the OOM kill inside the running container is counted", c.Diagnostics);
        Assert.Equal("docker", stats.Source);
        Assert.Equal(32UL * 1024 * 1024, stats.Memory!.LimitBytes);
        var app = await c.Client.GetAppAsync("/dk/survivor");
        Assert.Equal(1, app.TasksRunning);
        Assert.Equal(task.Id, app.Tasks!.Single().Id);
        Assert.Null(app.LastTaskFailure);
    }
}
