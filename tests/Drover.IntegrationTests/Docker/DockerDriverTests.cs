using System.Text;
using System.Text.Json;
using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests.Docker;

/// <summary>The Docker driver against a real dockerd: containers started, logged, killed, noticed dying and re-adopted.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerDriverTests(DockerFixture docker) : IAsyncLifetime
{
    private readonly TempDir _dir = new("docker-driver");
    private DockerDriver _driver = null!;
    private readonly List<DockerDriver> _extra = [];

    private DockerDaemon D => docker.Daemon;

    public Task InitializeAsync()
    {
        _driver = NewDriver();
        return Task.CompletedTask;
    }

    private DockerDriver NewDriver() => new(new DockerDriverOptions { DataDir = _dir.Path, Socket = D.Socket });

    public async Task DisposeAsync()
    {
        // Whatever a test left running goes, found by this driver's label.
        foreach (var c in await D.Client.ListContainersAsync(new Dictionary<string, string> { [DockerContainerSpec.AgentLabel] = _driver.AgentKey }))
            await D.Client.RemoveContainerAsync(c.Id);
        await _driver.DisposeAsync();
        foreach (var d in _extra) await d.DisposeAsync();
        _dir.Dispose();
    }

    private static TaskSpec Spec(string cmd, string network = "BRIDGE", int[]? ports = null, double mem = 32, PortMapping[]? mappings = null,
        VolumeSpec[]? volumes = null, int grace = 2, Dictionary<string, string>? env = null) => new()
    {
        TaskId = $"box.instance-{Guid.NewGuid():D}._app.1",
        AppId = "/box",
        Version = "2026-11-29T20:00:00.000Z",
        Cmd = cmd,
        Env = env ?? new Dictionary<string, string> { ["MARATHON_APP_ID"] = "/box" },
        Cpus = 0.1,
        MemMb = mem,
        Ports = ports ?? [],
        KillGracePeriodSeconds = grace,
        Container = new ContainerSpec
        {
            Type = "DOCKER",
            Docker = new DockerSpec { Image = DockerDaemon.Image, Network = network },
            PortMappings = mappings,
            Volumes = volumes ?? [],
        },
    };

    private static async Task<string> ReadLogAsync(ITaskLog log)
    {
        using var buffer = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await log.CopyToAsync(buffer, cts.Token);
        await log.DisposeAsync();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private Task<string> LogAsync(string taskId, TaskLogRequest request, Func<bool>? running = null) =>
        _driver.OpenLogAsync(taskId, request, running ?? (() => false), CancellationToken.None)
            .ContinueWith(t => t.Result is { } log ? ReadLogAsync(log) : Task.FromResult("(no log)")).Unwrap();

    [Fact(Timeout = 120_000)]
    public async Task A_bridge_container_serves_on_its_host_port_with_env_labels_volumes_and_limits()
    {
        var port = DockerDaemon.FreePort();
        var data = _dir.CreateSubdirectory("data");
        await File.WriteAllTextAsync(Path.Combine(data, "index.html"), "hello from a volume\n");
        var spec = Spec("echo listening >&2; exec httpd -f -p 8080 -h /data", ports: [port],
            mappings: [new PortMapping { ContainerPort = 8080, Name = "http" }],
            volumes: [new VolumeSpec { ContainerPath = "/data", HostPath = data, Mode = "RO" }],
            env: new Dictionary<string, string> { ["PORT0"] = port.ToString(), ["MARATHON_APP_ID"] = "/box", ["GREETING"] = "hi there" });
        var handle = await _driver.StartAsync(spec, CancellationToken.None);
        Assert.StartsWith("container ", handle.RuntimeId);
        Assert.True(handle.Pid > 0, "Docker reports the container's init pid");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var body = await Eventually.GetAsync(async () => await http.GetStringAsync($"http://127.0.0.1:{port}/index.html"),
            TimeSpan.FromSeconds(30), "httpd answers on the host port");
        Assert.Equal("hello from a volume\n", body);

        // Docker's own view of what the driver asked for.
        var inspect = JsonDocument.Parse(await D.DockerAsync("inspect", DockerDriver.ContainerName(spec.TaskId))).RootElement[0];
        var env = inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("GREETING=hi there", env);
        Assert.Contains($"PORT0={port}", env);
        Assert.Contains("MESOS_SANDBOX=/mnt/mesos/sandbox", env);
        var labels = inspect.GetProperty("Config").GetProperty("Labels");
        Assert.Equal(spec.TaskId, labels.GetProperty("drover.task-id").GetString());
        Assert.Equal("/box", labels.GetProperty("drover.app-id").GetString());
        Assert.Equal(spec.Version, labels.GetProperty("drover.app-version").GetString());
        var host = inspect.GetProperty("HostConfig");
        Assert.Equal(32L * 1024 * 1024, host.GetProperty("Memory").GetInt64());
        Assert.Equal(102, host.GetProperty("CpuShares").GetInt64());
        Assert.Equal(0, host.GetProperty("NanoCpus").GetInt64());
        Assert.Equal("bridge", host.GetProperty("NetworkMode").GetString());
        Assert.Equal(port.ToString(), host.GetProperty("PortBindings").GetProperty("8080/tcp")[0].GetProperty("HostPort").GetString());
        Assert.Contains($"{data}:/data:ro", host.GetProperty("Binds").EnumerateArray().Select(b => b.GetString()));

        var usage = await handle.ReadUsageAsync();
        Assert.NotNull(usage);
        Assert.True(usage!.MemoryBytes > 0, "stats report memory use");
        Assert.Equal(32UL * 1024 * 1024, usage.MemoryLimitBytes);

        await handle.KillAsync(TimeSpan.FromSeconds(2));
        var exit = await handle.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(exit.Success);
        Assert.Null(await D.Client.InspectContainerAsync(handle.RuntimeId["container ".Length..]));
        Assert.Contains("listening", await LogAsync(spec.TaskId, new TaskLogRequest { Stream = "stderr" }));
    }

    [Fact(Timeout = 120_000)]
    public async Task Logs_tail_each_stream_exactly_follow_and_stay_readable_after_the_container_is_gone()
    {
        // Interleaved streams: Docker's own tail would count both together.
        var spec = Spec("for i in 1 2 3 4 5 6; do echo out$i; echo err$i >&2; done; while [ ! -e /mnt/mesos/sandbox/go ]; do sleep 0.1; done; echo bye",
            network: "NONE");
        var handle = await _driver.StartAsync(spec, CancellationToken.None);
        await Eventually.AsyncAssert(async () => (await LogAsync(spec.TaskId, new TaskLogRequest())).Contains("out6"), TimeSpan.FromSeconds(30), "output written");

        Assert.Equal("out5\nout6\n", await LogAsync(spec.TaskId, new TaskLogRequest { Tail = 2 }));
        Assert.Equal("err4\nerr5\nerr6\n", await LogAsync(spec.TaskId, new TaskLogRequest { Stream = "stderr", Tail = 3 }));
        Assert.Equal("", await LogAsync(spec.TaskId, new TaskLogRequest { Since = DateTimeOffset.UtcNow.AddMinutes(1) }));
        Assert.StartsWith("out1\n", await LogAsync(spec.TaskId, new TaskLogRequest { Since = DateTimeOffset.UtcNow.AddMinutes(-5) }));

        // Follow from the last line: the new line arrives, and the stream ends with the container.
        var follow = _driver.OpenLogAsync(spec.TaskId, new TaskLogRequest { Tail = 1, Follow = true }, () => !handle.Exited.IsCompleted, CancellationToken.None)
            .ContinueWith(t => ReadLogAsync(t.Result!)).Unwrap();
        await File.WriteAllTextAsync(Path.Combine(_driver.GetSandboxPath(spec.TaskId), "go"), "");
        Assert.Equal("out6\nbye\n", await follow.WaitAsync(TimeSpan.FromSeconds(30)));

        var exit = await handle.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit.Success, exit.Describe());
        // Archived into the sandbox, container removed: the same answers.
        Assert.True(File.Exists(Path.Combine(handle.Sandbox, "stdout")));
        Assert.Null(await D.Client.InspectContainerAsync(handle.RuntimeId["container ".Length..]));
        Assert.Equal("out6\nbye\n", await LogAsync(spec.TaskId, new TaskLogRequest { Tail = 2 }));
        Assert.Equal("err6\n", await LogAsync(spec.TaskId, new TaskLogRequest { Stream = "stderr", Tail = 1 }));
        Assert.Equal("", await LogAsync(spec.TaskId, new TaskLogRequest { Since = DateTimeOffset.UtcNow.AddSeconds(5) }));
        Assert.StartsWith("out1\n", await LogAsync(spec.TaskId, new TaskLogRequest { Since = DateTimeOffset.UtcNow.AddMinutes(-5) }));
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_sends_SIGTERM_first_and_SIGKILL_after_the_grace_period()
    {
        var polite = await _driver.StartAsync(Spec("trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done", network: "NONE"), CancellationToken.None);
        var stubborn = await _driver.StartAsync(Spec("trap 'echo ignoring TERM' TERM; while true; do sleep 0.1; done", network: "NONE"), CancellationToken.None);
        await Eventually.AsyncAssert(async () => (await D.DockerAsync("top", DockerDriver.ContainerName(polite.TaskId))).Contains("sleep"),
            TimeSpan.FromSeconds(20), "the shell has set its trap and loops");
        await Eventually.AsyncAssert(async () => (await D.DockerAsync("top", DockerDriver.ContainerName(stubborn.TaskId))).Contains("sleep"),
            TimeSpan.FromSeconds(20), "the stubborn shell loops");

        await polite.KillAsync(TimeSpan.FromSeconds(20));
        var exit = await polite.Exited;
        Assert.Equal(0, exit.ExitCode); // ended on SIGTERM, long before SIGKILL
        Assert.True(polite.KillRequested);
        Assert.Contains("got TERM", await LogAsync(polite.TaskId, new TaskLogRequest()));

        await stubborn.KillAsync(TimeSpan.FromSeconds(1));
        var killed = await stubborn.Exited;
        Assert.Equal(9, killed.Signal);
        Assert.Contains("ignoring TERM", await LogAsync(stubborn.TaskId, new TaskLogRequest()));
    }

    [Fact(Timeout = 120_000)]
    public async Task An_OOM_kill_is_the_exit_reason()
    {
        var handle = await _driver.StartAsync(Spec("echo filling; x=aaaaaaaa; while true; do x=$x$x; done", network: "NONE", mem: 32), CancellationToken.None);
        var exit = await handle.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("OOM killed: memory limit 32 MiB", exit.Reason);
        Assert.Equal("OOM killed: memory limit 32 MiB", exit.Describe());
        Assert.False(exit.Success);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_container_killed_behind_the_drivers_back_is_noticed_from_the_event_stream()
    {
        var handle = await _driver.StartAsync(Spec("exec sleep 600", network: "NONE"), CancellationToken.None);
        await D.DockerAsync("kill", DockerDriver.ContainerName(handle.TaskId));
        var exit = await handle.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(9, exit.Signal);
        Assert.False(handle.KillRequested);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_new_driver_readopts_running_containers_and_removes_orphans()
    {
        var spec = Spec("exec sleep 600", network: "NONE");
        var handle = await _driver.StartAsync(spec, CancellationToken.None);
        var id = handle.RuntimeId["container ".Length..];
        var started = (await D.Client.InspectContainerAsync(id))!.State.StartedAt;
        var finished = await _driver.StartAsync(Spec("exit 4", network: "NONE"), CancellationToken.None);
        Assert.Equal(4, (await finished.Exited.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        var ended = await _driver.StartAsync(Spec("while [ ! -e /mnt/mesos/sandbox/go ]; do sleep 0.1; done; echo done; exit 3", network: "NONE"),
            CancellationToken.None);
        await _driver.DisposeAsync();

        // While no driver watches: one container ends, and one appears that no record explains.
        await File.WriteAllTextAsync(Path.Combine(ended.Sandbox, "go"), "");
        var endedId = ended.RuntimeId["container ".Length..];
        await Eventually.AsyncAssert(async () => (await D.Client.InspectContainerAsync(endedId))!.State.Status == "exited",
            TimeSpan.FromSeconds(30), "the unwatched container exits");
        await D.DockerAsync("run", "-d", "--name", "drover-orphan-" + Guid.NewGuid().ToString("N")[..8], "--label", $"drover.agent={_driver.AgentKey}",
            "--label", "drover.task-id=nobody-asked", DockerDaemon.Image, "sleep", "600");

        _driver = NewDriver();
        var recovered = await _driver.RecoverAsync(CancellationToken.None);
        var again = Assert.Single(recovered, h => h.TaskId == spec.TaskId);
        Assert.True(again.Recovered);
        Assert.False(again.Exited.IsCompleted);
        Assert.StartsWith("container " + id[..12], again.RuntimeId);
        Assert.Equal(started, (await D.Client.InspectContainerAsync(id))!.State.StartedAt); // not restarted
        var done = Assert.Single(recovered, h => h.TaskId == ended.TaskId);
        Assert.Equal(3, (await done.Exited.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.Equal("done\n", await LogAsync(ended.TaskId, new TaskLogRequest()));
        Assert.Null(await D.Client.InspectContainerAsync(endedId));
        // Ended and removed before the restart: its recorded exit, not "unknown".
        Assert.Equal(4, (await Assert.Single(recovered, h => h.TaskId == finished.TaskId).Exited).ExitCode);
        Assert.Empty(await D.Client.ListContainersAsync(new Dictionary<string, string> { ["drover.task-id"] = "nobody-asked" }));

        await again.KillAsync(TimeSpan.FromSeconds(1));
        await again.Exited.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact(Timeout = 60_000)]
    public async Task Unrunnable_specs_fail_the_launch_naming_the_problem()
    {
        // A registry on a closed loopback port: never the internet.
        var missing = Spec("true") with { Container = new ContainerSpec { Docker = new DockerSpec { Image = "127.0.0.1:9/drover-test/not-here:1" } } };
        var e = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(missing, CancellationToken.None));
        Assert.Contains("cannot pull image 127.0.0.1:9/drover-test/not-here:1", e.Message);

        var badParam = Spec("true") with
        {
            Container = new ContainerSpec { Docker = new DockerSpec { Image = DockerDaemon.Image, Parameters = [new DockerParameter { Key = "volumes-from", Value = "x" }] } },
        };
        e = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(badParam, CancellationToken.None));
        Assert.StartsWith("docker parameter 'volumes-from' is not supported", e.Message);
        Assert.Empty(await D.Client.ListContainersAsync(new Dictionary<string, string> { [DockerContainerSpec.AgentLabel] = _driver.AgentKey }));
    }
}
