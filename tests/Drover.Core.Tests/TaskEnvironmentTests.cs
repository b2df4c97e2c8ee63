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
    public void MarathonTimeHasExactlyThreeFractionDigits()
    {
        var s = Json.MarathonTime.ToWire(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2)).AddTicks(7));
        Assert.Equal("2026-01-02T01:04:05.006Z", s);
    }
}
