using Drover.Core.Apps;

namespace Drover.Core.Tests;

public class TaskEnvironmentTests
{
    [Fact]
    public void GivesMarathonVariablesAndDroverTwins()
    {
        var app = new AppDefinition
        {
            Id = "/prod/web", Cmd = "x", Version = "2026-01-01T00:00:00.000Z",
            Env = new Dictionary<string, string> { ["MY"] = "1" },
            Labels = new Dictionary<string, string> { ["team-name"] = "core" },
            PortDefinitions = [new PortDefinition { Port = 10001, Name = "http" }, new PortDefinition { Port = 10002 }],
        };
        var env = TaskEnvironment.Build(app, "prod_web.instance-x._app.1", "host1", [31001, 31002]);
        Assert.Equal("1", env["MY"]);
        Assert.Equal("31001", env["PORT0"]);
        Assert.Equal("31002", env["PORT1"]);
        Assert.Equal("31001", env["PORT"]);
        Assert.Equal("31001,31002", env["PORTS"]);
        Assert.Equal("31001", env["PORT_HTTP"]);
        Assert.Equal("31001", env["PORT_10001"]);
        Assert.Equal("host1", env["HOST"]);
        Assert.Equal("/prod/web", env["MARATHON_APP_ID"]);
        Assert.Equal("2026-01-01T00:00:00.000Z", env["MARATHON_APP_VERSION"]);
        Assert.Equal("prod_web.instance-x._app.1", env["MESOS_TASK_ID"]);
        Assert.Equal("core", env["MARATHON_APP_LABEL_TEAM_NAME"]);
        Assert.Equal(env["MESOS_TASK_ID"], env["DROVER_TASK_ID"]);
        Assert.Equal(env["MARATHON_APP_ID"], env["DROVER_APP_ID"]);
    }

    [Fact]
    public void TasksOfOneAppShareNothingTheyCanChange_AndTheTaskVariablesOverrideTheUsers()
    {
        var app = new AppDefinition
        {
            Id = "/web", Cmd = "x", Version = "2026-01-01T00:00:00.000Z",
            Env = new Dictionary<string, string> { ["HOST"] = "mine", ["PORT"] = "80", ["MARATHON_APP_ID"] = "spoof" },
        };
        var first = TaskEnvironment.Build(app, "web.1", "host1", [31001]);
        first["EXTRA"] = "changed by a caller";
        var second = TaskEnvironment.Build(app, "web.2", "host2", []);
        var changed = TaskEnvironment.Build(app with { Version = "2026-02-01T00:00:00.000Z" }, "web.3", "host3", []);

        Assert.Equal(("host1", "31001", "web.1", "/web"), (first["HOST"], first["PORT"], first["DROVER_TASK_ID"], first["MARATHON_APP_ID"]));
        Assert.Equal(("host2", "80", "web.2"), (second["HOST"], second["PORT"], second["MESOS_TASK_ID"]));
        Assert.False(second.ContainsKey("EXTRA"));
        Assert.False(second.ContainsKey("PORTS"));
        Assert.Equal("2026-02-01T00:00:00.000Z", changed["MARATHON_APP_VERSION"]);
    }

    [Fact]
    public void MarathonTimeHasExactlyThreeFractionDigits()
    {
        var s = Json.MarathonTime.ToWire(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2)).AddTicks(7));
        Assert.Equal("2026-01-02T01:04:05.006Z", s);
    }
}
