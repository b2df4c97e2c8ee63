using Drover.Core.Cluster;

namespace Drover.Core.Tests;

public sealed class TaskIncarnationTests
{
    [Theory]
    [InlineData("web.instance-1f2e._app.1", "web.instance-1f2e", 1, "web.instance-1f2e._app.2")]
    [InlineData("web.instance-1f2e._app.9", "web.instance-1f2e", 9, "web.instance-1f2e._app.10")]
    [InlineData("plain-id", "plain-id", 1, "plain-id._app.2")]
    [InlineData("odd._app.x", "odd._app.x", 1, "odd._app.x._app.2")]
    [InlineData("a._app.1._app.3", "a._app.1", 3, "a._app.1._app.4")]
    public void Instance_incarnation_and_next(string id, string instance, int incarnation, string next)
    {
        Assert.Equal(instance, TaskIncarnation.InstanceOf(id));
        Assert.Equal(incarnation, TaskIncarnation.Of(id));
        Assert.Equal(next, TaskIncarnation.Next(id));
        Assert.True(TaskIncarnation.Succeeds(next, id));
        Assert.False(TaskIncarnation.Succeeds(id, next));
        Assert.False(TaskIncarnation.Succeeds(id, id));
    }

    [Fact]
    public void Other_instances_never_succeed()
    {
        Assert.False(TaskIncarnation.Succeeds("a.instance-2._app.2", "a.instance-1._app.1"));
    }
}
