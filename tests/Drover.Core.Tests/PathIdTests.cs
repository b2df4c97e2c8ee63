using Drover.Core.Apps;

namespace Drover.Core.Tests;

public class PathIdTests
{
    [Theory]
    [InlineData("web", "/", "/web")]
    [InlineData("/prod//web/", "/", "/prod/web")]
    [InlineData("../x", "/prod/a", "/prod/x")]
    [InlineData("./y", "/g", "/g/y")]
    public void Canonicalises(string id, string baseGroup, string expected) => Assert.Equal(expected, PathId.Canonical(id, baseGroup));

    [Theory]
    [InlineData("web", true)]
    [InlineData("web-1.a", true)]
    [InlineData("-web", false)]
    [InlineData("Web", false)]
    [InlineData("we_b", false)]
    public void ValidatesSegments(string segment, bool ok) => Assert.Equal(ok, PathId.IsValidSegment(segment));

    [Fact]
    public void SafeIdsRoundTripThroughTaskIds()
    {
        var taskId = TaskEnvironment.NewTaskId("/prod/web");
        Assert.StartsWith("prod_web.instance-", taskId);
        Assert.Equal("/prod/web", PathId.AppIdFromTaskId(taskId));
    }
}
