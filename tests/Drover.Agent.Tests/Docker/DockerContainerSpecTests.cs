using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;
using Drover.Agent.Docker;
using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests.Docker;

/// <summary>The container spec as a pure function of the task: Marathon's app JSON read as Mesos does.</summary>
public sealed class DockerContainerSpecTests
{
    private static readonly ContainerSpecContext Ctx = new() { Sandbox = "/var/lib/drover/docker/sandboxes/t1", AgentKey = "/var/lib/drover" };

    private static TaskSpec Task(DockerSpec docker, Func<TaskSpec, TaskSpec>? change = null)
    {
        var spec = new TaskSpec
        {
            TaskId = "web.instance-1._app.1", AppId = "/web", Version = "2026-11-29T20:00:00.000Z",
            Env = new Dictionary<string, string> { ["PORT0"] = "31000", ["HOST"] = "node-1" },
            Cpus = 0.5, MemMb = 64, Ports = [31000],
            Container = new ContainerSpec { Type = "DOCKER", Docker = docker },
        };
        return change is null ? spec : change(spec);
    }

    [Fact]
    public void Bridge_maps_each_port_mapping_to_its_assigned_host_port()
    {
        var spec = Task(new DockerSpec { Image = "nginx:1", Network = "BRIDGE" }, s => s with
        {
            Ports = [31000, 31001],
            Container = s.Container! with
            {
                PortMappings = [new PortMapping { ContainerPort = 80 }, new PortMapping { ContainerPort = 0, Protocol = "udp,tcp" }],
            },
        });
        var body = DockerContainerSpec.Build(spec, Ctx);
        Assert.Equal("bridge", body.HostConfig.NetworkMode);
        Assert.Equal("31000", body.HostConfig.PortBindings!["80/tcp"].Single().HostPort);
        // containerPort 0 means the same as the host port (Marathon's rule), for each protocol.
        Assert.Equal("31001", body.HostConfig.PortBindings["31001/udp"].Single().HostPort);
        Assert.Equal("31001", body.HostConfig.PortBindings["31001/tcp"].Single().HostPort);
        Assert.Equal(["31001/tcp", "31001/udp", "80/tcp"], body.ExposedPorts!.Keys.Order());
    }

    [Fact]
    public void Bridge_without_mappings_gets_marathons_default_mapping()
    {
        var body = DockerContainerSpec.Build(Task(new DockerSpec { Image = "nginx", Network = "BRIDGE" }), Ctx);
        Assert.Equal("31000", body.HostConfig.PortBindings!["31000/tcp"].Single().HostPort);
    }

    [Fact]
    public void Host_network_is_the_default_and_binds_nothing()
    {
        var body = DockerContainerSpec.Build(Task(new DockerSpec { Image = "nginx" }), Ctx);
        Assert.Equal("host", body.HostConfig.NetworkMode);
        Assert.Null(body.HostConfig.PortBindings);
        Assert.Contains("PORT0=31000", body.Env);
    }

    [Fact]
    public void Marathon_1_5_networks_pick_bridge_or_a_named_user_network()
    {
        var bridge = Task(new DockerSpec { Image = "nginx" }, s => s with { Networks = [new NetworkSpec { Mode = "container/bridge" }] });
        Assert.Equal("bridge", DockerContainerSpec.Build(bridge, Ctx).HostConfig.NetworkMode);
        var user = Task(new DockerSpec { Image = "nginx" }, s => s with { Networks = [new NetworkSpec { Mode = "container", Name = "backend" }], Ports = [] });
        Assert.Equal("backend", DockerContainerSpec.Build(user, Ctx).HostConfig.NetworkMode);
        var nameless = Task(new DockerSpec { Image = "nginx", Network = "USER" });
        Assert.Contains("needs a network name", Assert.Throws<TaskLaunchException>(() => DockerContainerSpec.Build(nameless, Ctx)).Message);
    }

    [Fact]
    public void Cmd_runs_under_sh_instead_of_the_entrypoint_and_args_go_to_the_entrypoint()
    {
        var cmd = DockerContainerSpec.Build(Task(new DockerSpec { Image = "x" }, s => s with { Cmd = "echo $HOST" }), Ctx);
        Assert.Equal(["/bin/sh", "-c"], cmd.Entrypoint!);
        Assert.Equal(["echo $HOST"], cmd.Cmd!);
        var args = DockerContainerSpec.Build(Task(new DockerSpec { Image = "x" }, s => s with { Args = ["--port", "80"] }), Ctx);
        Assert.Null(args.Entrypoint);
        Assert.Equal(["--port", "80"], args.Cmd!);
        var image = DockerContainerSpec.Build(Task(new DockerSpec { Image = "x" }), Ctx);
        Assert.Null(image.Entrypoint);
        Assert.Null(image.Cmd);
    }

    [Fact]
    public void Labels_env_resources_and_the_sandbox_mount()
    {
        var body = DockerContainerSpec.Build(Task(new DockerSpec { Image = " nginx ", Privileged = true }), Ctx with { Dns = ["10.0.0.1"] });
        Assert.Equal("nginx", body.Image);
        Assert.Equal("web.instance-1._app.1", body.Labels["drover.task-id"]);
        Assert.Equal("/web", body.Labels["drover.app-id"]);
        Assert.Equal("2026-11-29T20:00:00.000Z", body.Labels["drover.app-version"]);
        Assert.Equal("/var/lib/drover", body.Labels["drover.agent"]);
        Assert.Contains("MESOS_SANDBOX=/mnt/mesos/sandbox", body.Env);
        Assert.Contains("HOST=node-1", body.Env);
        Assert.Equal(64L * 1024 * 1024, body.HostConfig.Memory);
        Assert.Equal(body.HostConfig.Memory, body.HostConfig.MemorySwap);
        Assert.Equal(512, body.HostConfig.CpuShares);
        Assert.Equal(0, body.HostConfig.NanoCpus);
        Assert.True(body.HostConfig.Privileged);
        Assert.Equal(["10.0.0.1"], body.HostConfig.Dns!);
        Assert.Equal("no", body.HostConfig.RestartPolicy.Name);
        Assert.Equal(["/var/lib/drover/docker/sandboxes/t1:/mnt/mesos/sandbox:rw"], body.HostConfig.Binds);
    }

    [Fact]
    public void A_hard_cpu_limit_only_when_asked()
    {
        var byLabel = Task(new DockerSpec { Image = "x" }, s => s with { Labels = new Dictionary<string, string> { ["DROVER_CPU_HARD_LIMIT"] = "true" } });
        Assert.Equal(500_000_000, DockerContainerSpec.Build(byLabel, Ctx).HostConfig.NanoCpus);
        Assert.Equal(500_000_000, DockerContainerSpec.Build(Task(new DockerSpec { Image = "x" }), Ctx with { CpuHardLimit = true }).HostConfig.NanoCpus);
        // Tiny cpus still get the minimum weight Docker accepts.
        Assert.Equal(2, DockerContainerSpec.Build(Task(new DockerSpec { Image = "x" }, s => s with { Cpus = 0.001 }), Ctx).HostConfig.CpuShares);
    }

    [Fact]
    public void Volumes_bind_host_paths_relative_ones_inside_the_sandbox()
    {
        var spec = Task(new DockerSpec { Image = "x" }, s => s with
        {
            Container = s.Container! with
            {
                Volumes = [new VolumeSpec { ContainerPath = "/etc/app", HostPath = "/srv/conf", Mode = "RO" }, new VolumeSpec { ContainerPath = "/data", HostPath = "data" }],
            },
        });
        Assert.Equal(["/var/lib/drover/docker/sandboxes/t1:/mnt/mesos/sandbox:rw", "/srv/conf:/etc/app:ro", "/var/lib/drover/docker/sandboxes/t1/data:/data:rw"],
            DockerContainerSpec.Build(spec, Ctx).HostConfig.Binds);
        var persistent = Task(new DockerSpec { Image = "x" }, s => s with { Container = s.Container! with { Volumes = [new VolumeSpec { ContainerPath = "/pg" }] } });
        Assert.Equal("volume /pg: only hostPath volumes are supported (not persistent or external ones)",
            Assert.Throws<TaskLaunchException>(() => DockerContainerSpec.Build(persistent, Ctx)).Message);
    }

    [Fact]
    public void Docker_parameters_translate_and_unknown_ones_are_named()
    {
        var docker = new DockerSpec
        {
            Image = "x",
            Parameters =
            [
                new DockerParameter { Key = "env", Value = "EXTRA=1" }, new DockerParameter { Key = "label", Value = "team=web" },
                new DockerParameter { Key = "label", Value = "drover.task-id=hijack" }, new DockerParameter { Key = "hostname", Value = "box" },
                new DockerParameter { Key = "cap-add", Value = "NET_ADMIN" }, new DockerParameter { Key = "add-host", Value = "db:10.0.0.5" },
                new DockerParameter { Key = "read-only", Value = "true" }, new DockerParameter { Key = "dns", Value = "9.9.9.9" },
            ],
        };
        var body = DockerContainerSpec.Build(Task(docker), Ctx with { Dns = ["10.0.0.1"] });
        Assert.Contains("EXTRA=1", body.Env);
        Assert.Equal("web", body.Labels["team"]);
        Assert.Equal("web.instance-1._app.1", body.Labels["drover.task-id"]); // Drover's labels win
        Assert.Equal("box", body.Hostname);
        Assert.Equal(["NET_ADMIN"], body.HostConfig.CapAdd!);
        Assert.Equal(["db:10.0.0.5"], body.HostConfig.ExtraHosts!);
        Assert.True(body.HostConfig.ReadonlyRootfs);
        Assert.Equal(["9.9.9.9"], body.HostConfig.Dns!); // the app's own --dns wins over Drover's
        var unknown = Task(new DockerSpec { Image = "x", Parameters = [new DockerParameter { Key = "volumes-from", Value = "y" }] });
        Assert.StartsWith("docker parameter 'volumes-from' is not supported (supported: add-host, cap-add",
            Assert.Throws<TaskLaunchException>(() => DockerContainerSpec.Build(unknown, Ctx)).Message);
        var badEnv = Task(new DockerSpec { Image = "x", Parameters = [new DockerParameter { Key = "env", Value = "NOEQUALS" }] });
        Assert.Equal("docker parameter 'env': 'NOEQUALS' is not KEY=VALUE", Assert.Throws<TaskLaunchException>(() => DockerContainerSpec.Build(badEnv, Ctx)).Message);
    }

    [Fact]
    public void Container_names_keep_to_dockers_alphabet()
    {
        Assert.Equal("drover-web.instance-1._app.1", DockerDriver.ContainerName("web.instance-1._app.1"));
        Assert.Equal("drover-a_b_c", DockerDriver.ContainerName("a+b@c"));
    }

    [Fact]
    public void Exits_from_inspection_name_oom_kills_runtime_errors_and_removal()
    {
        var spec = Task(new DockerSpec { Image = "x" }, s => s with { MemMb = 32 });
        var now = DateTimeOffset.UnixEpoch;
        ContainerInspect Inspect(int code, bool oom = false, string error = "") =>
            new() { Id = "c", State = new ContainerState { Status = "exited", ExitCode = code, OOMKilled = oom, Error = error } };
        Assert.Equal("OOM killed: memory limit 32 MiB", DockerDriver.ExitOf(Inspect(137, oom: true), spec, now).Describe());
        Assert.Equal("killed by signal 9", DockerDriver.ExitOf(Inspect(137), spec, now).Describe());
        Assert.True(DockerDriver.ExitOf(Inspect(0), spec, now).Success);
        Assert.Equal("exited with code 127: exec: \"nope\": executable file not found in $PATH",
            DockerDriver.ExitOf(Inspect(127, error: "exec: \"nope\": executable file not found in $PATH"), spec, now).Describe());
        Assert.Equal("the container was removed outside Drover", DockerDriver.ExitOf(null, spec, now).Describe());
    }
}
