using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Validation;

namespace Drover.Core.Tests;

public class IdLimitsTests
{
    private static ValidationErrors Read(string id)
    {
        var errors = new ValidationErrors();
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = id, ["cmd"] = "x" }));
        AppReader.Read(doc.RootElement, null, errors);
        return errors;
    }

    private static IReadOnlyList<string> IdErrors(ValidationErrors e) => e.Items.Where(i => i.Path == "/id").SelectMany(i => i.Errors).ToList();

    [Fact]
    public void ASegmentLongerThanADnsLabelIsRefusedWithBothLengths()
    {
        var error = Assert.Single(IdErrors(Read("/" + new string('a', 5000))), e => e.Contains("path segment"));
        Assert.Contains("5000 characters", error);
        Assert.Contains("at most 63", error);
        Assert.True(error.Length < 300, "the message does not repeat the whole segment");
        Assert.Empty(IdErrors(Read("/" + new string('a', 63))));
        Assert.NotEmpty(IdErrors(Read("/" + new string('a', 64))));
    }

    [Fact]
    public void AnIdWhoseTaskIdsAreTooLongForAgentsIsRefused()
    {
        // three 63-character segments are each fine, but their task ids would not be
        var id = "/" + string.Join('/', Enumerable.Repeat(new string('b', 63), 3));
        var taskIdLength = TaskEnvironment.NewTaskId(id).Length;
        Assert.True(taskIdLength > IdLimits.MaxTaskIdLength);
        var error = Assert.Single(IdErrors(Read(id)));
        Assert.Contains($"would be {taskIdLength} characters", error);
        Assert.Contains($"at most {IdLimits.MaxTaskIdLength}", error);

        var longestOk = "/" + new string('c', 63) + "/" + new string('d', 63);
        Assert.True(TaskEnvironment.NewTaskId(longestOk).Length <= IdLimits.MaxTaskIdLength);
        Assert.Empty(IdErrors(Read(longestOk)));
    }

    [Theory]
    [InlineData("web", true)]
    [InlineData("web-1", true)]
    [InlineData("Web1", true)]
    [InlineData("-web", false)]
    [InlineData("web-", false)]
    [InlineData("my_app", false)]
    [InlineData("web.prod", false)]
    [InlineData("", false)]
    public void DnsLabels(string label, bool ok) => Assert.Equal(ok, IdLimits.IsDnsLabel(label));

    [Fact]
    public void ALabelHoldsAtMost63Characters()
    {
        Assert.True(IdLimits.IsDnsLabel(new string('a', 63)));
        Assert.False(IdLimits.IsDnsLabel(new string('a', 64)));
    }
}
