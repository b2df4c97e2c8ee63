using Drover.Api.Marathon;
using Drover.Cli.Progress;
using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Cli.Tests;

/// <summary>Why a deployment waits, in words, from the shapes the API returns.</summary>
public sealed class WaitReasonsTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-29T20:00:00Z");
    private const string V = "2026-11-29T20:00:00.000Z";

    private static AppInfo App(Func<AppInfo, AppInfo>? change = null)
    {
        var app = new AppInfo(new AppDefinition { Id = "/web", Cmd = "x", Instances = 2, Mem = 64, Version = V, VersionInfo = new VersionInfo { LastConfigChangeAt = V, LastScalingAt = V } });
        return change is null ? app : change(app);
    }

    private static MarathonTask Task(string id, string state = "TASK_RUNNING", params HealthCheckResultWire[] health) => new()
    {
        Id = $"web.instance-{id}._app.1", AppId = "/web", State = state, Version = V, StagedAt = V, StartedAt = V,
        HealthCheckResults = health.Length == 0 ? null : health,
    };

    private static QueueItem Queue(int count, bool overdue = true, double left = 0, params RejectSummary[] rejects) => new()
    {
        Count = count, Delay = new QueueDelay(left, overdue), App = App(),
        ProcessedOffersSummary = new ProcessedOffersSummary { RejectSummaryLastOffers = rejects },
    };

    [Fact]
    public void A_failing_http_check_is_named_with_path_status_and_count()
    {
        var app = App(a => a with { HealthChecks = [new HealthCheckDefinition { Protocol = "HTTP", Path = "/nope" }] });
        var failing = new HealthCheckResultWire { Alive = false, ConsecutiveFailures = 3, LastFailureCause = "HTTP 404 Not Found from http://127.0.0.1:31005/nope" };
        var reasons = WaitReasons.For(app, [Task("a", health: failing)], null, Start);
        Assert.Equal(["health check failed: HTTP 404 on /nope (3 in a row)"], reasons);
    }

    [Fact]
    public void New_tasks_without_a_result_wait_for_the_first_check()
    {
        var app = App(a => a with { HealthChecks = [new HealthCheckDefinition { Protocol = "HTTP", GracePeriodSeconds = 15 }] });
        Assert.Equal(["waiting for the first health check of 2 new tasks (grace period 15s)"], WaitReasons.For(app, [Task("a"), Task("b")], null, Start));
    }

    [Fact]
    public void Unplaced_instances_name_the_agents_reasons()
    {
        var app = App(a => a with { RequirePorts = true, PortDefinitions = [new PortDefinition { Port = 80 }] });
        var q = Queue(2, rejects: [new RejectSummary("InsufficientMemory", 1, 2), new RejectSummary("InsufficientPorts", 1, 2), new RejectSummary("InsufficientCpus", 0, 2)]);
        Assert.Equal(["waiting for offers: 2 instances unplaced (insufficient mem (64 MiB needed) on 1 agent, port 80 taken on 1 agent)"], WaitReasons.For(app, [], q, Start));
    }

    [Fact]
    public void No_agents_and_backoff_are_said_plainly()
    {
        Assert.Equal(["waiting for agents: 1 instance unplaced (no agent is active)"],
            WaitReasons.For(App(), [], Queue(1, rejects: [new RejectSummary("NoActiveAgents", 1, 1)]), Start));
        Assert.Contains("backing off after failed launches: next launch in 12s", WaitReasons.For(App(), [], Queue(1, overdue: false, left: 12), Start));
    }

    [Fact]
    public void A_crash_of_the_new_config_shows_its_exit_and_last_stderr_line()
    {
        var app = App(a => a with
        {
            LastTaskFailure = new TaskFailure { AppId = "/web", TaskId = "t", Timestamp = "2026-11-29T20:00:05.000Z", Version = V, Message = "exited with code 1: fatal: config missing" },
        });
        Assert.Equal(["task exited with code 1: fatal: config missing"], WaitReasons.For(app, [], null, Start));
    }

    [Fact]
    public void A_failure_from_before_the_deployment_or_an_old_config_is_not_a_reason()
    {
        var old = new TaskFailure { AppId = "/web", TaskId = "t", Timestamp = "2026-11-29T19:00:00.000Z", Version = V, Message = "exited with code 1" };
        Assert.Empty(WaitReasons.For(App(a => a with { LastTaskFailure = old }), [], null, Start));
        var oldConfig = old with { Timestamp = "2026-11-29T20:00:05.000Z", Version = "2026-11-29T19:00:00.000Z" };
        Assert.Empty(WaitReasons.For(App(a => a with { LastTaskFailure = oldConfig }), [], null, Start));
    }

    [Fact]
    public void A_missing_driver_names_the_container_type()
    {
        var app = App(a => a with
        {
            Container = new ContainerSpec { Type = "DOCKER", Docker = new DockerSpec { Image = "nginx" } },
            LastTaskFailure = new TaskFailure { AppId = "/web", TaskId = "t", Timestamp = "2026-11-29T20:00:01.000Z", Version = V, Message = "no driver on this agent can run this task (drivers: process)" },
        });
        Assert.Equal(["no agent can run this task: no driver for DOCKER (drivers: process)"], WaitReasons.For(app, [], null, Start));
    }

    [Fact]
    public void Docker_apps_without_a_docker_agent_say_so()
    {
        var app = App(a => a with { Container = new ContainerSpec { Type = "DOCKER", Docker = new DockerSpec { Image = "nginx" } } });
        var none = Queue(2, rejects: [new RejectSummary("NoDriver", 3, 3), new RejectSummary("InsufficientMemory", 1, 3)]);
        Assert.Equal(["no agent can run DOCKER tasks (no docker driver on 3 agents)"], WaitReasons.For(app, [], none with { App = app }, Start));
        var some = Queue(1, rejects: [new RejectSummary("NoDriver", 2, 3), new RejectSummary("InsufficientMemory", 1, 3)]);
        Assert.Equal(["waiting for offers: 1 instance unplaced (no docker driver on 2 agents, insufficient mem (64 MiB needed) on 1 agent)"],
            WaitReasons.For(app, [], some with { App = app }, Start));
    }

    [Fact]
    public void Readiness_and_staging_are_reasons_too()
    {
        var app = App(a => a with
        {
            ReadinessChecks = [new ReadinessCheckDefinition { Name = "ready" }],
            ReadinessCheckResults = [new ReadinessCheckResult { Name = "ready", TaskId = "web.instance-a._app.1", Ready = false, LastResponse = new ReadinessLastResponse { Status = 503 } }],
        });
        var reasons = WaitReasons.For(app, [Task("a"), Task("b", "TASK_STAGING")], null, Start);
        Assert.Equal(["readiness check 'ready' not ready on 1 new task: HTTP 503", "1 new task starting"], reasons);
    }

    [Theory]
    [InlineData("HTTP 503 Service Unavailable from http://10.0.0.1:8080/health?x=1", "HTTP 503 on /health?x=1")]
    [InlineData("TCP connect to 127.0.0.1:31000 failed: Connection refused", "TCP connect to 127.0.0.1:31000 failed: Connection refused")]
    public void Causes_are_shortened_where_they_have_a_known_shape(string cause, string expected) =>
        Assert.Equal(expected, WaitReasons.Cause(cause));

    [Fact]
    public void Progress_counts_new_healthy_running_and_old_tasks()
    {
        const string older = "2026-11-29T19:00:00.000Z";
        var app = App(a => a with
        {
            Instances = 3,
            HealthChecks = [new HealthCheckDefinition { Protocol = "HTTP" }],
            Tasks =
            [
                Task("a", health: new HealthCheckResultWire { Alive = true }),
                Task("b"),
                Task("c") with { Version = older },
                Task("d") with { Version = older },
            ],
        });
        var p = ProgressModel.ForApp(new DeploymentActionWire("RestartApplication", "/web"), app, [], null, Start);
        Assert.Equal((2, 1, 2, 3), (p.NewRunning, p.NewHealthy, p.OldLeft, p.Target));
        Assert.Equal("restart /web: new 1/3 healthy (2 running), old 2 left", p.Summary());
        var gone = ProgressModel.ForApp(new DeploymentActionWire("StopApplication", "/web"), null, [Task("a")], null, Start);
        Assert.Equal("stop /web: 1 task left", gone.Summary());
    }
}
