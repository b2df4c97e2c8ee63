using Drover.Core.Apps;
using Drover.Core.LoadBalancing;
using Drover.Core.Validation;

namespace Drover.Core.Tests;

public sealed class LbDrainLabelsTests
{
    private static AppDefinition App(params (string K, string V)[] labels) =>
        new() { Id = "/a", Labels = labels.ToDictionary(l => l.K, l => l.V) };

    [Fact]
    public void Load_balanced_means_any_HAPROXY_label()
    {
        Assert.True(LbDrainLabels.IsLoadBalanced(App(("HAPROXY_GROUP", "external"))));
        Assert.True(LbDrainLabels.IsLoadBalanced(App(("HAPROXY_0_PATH", "/x"))));
        Assert.False(LbDrainLabels.IsLoadBalanced(App(("haproxy_group", "external")))); // labels are case-sensitive, as in marathon-lb
        Assert.False(LbDrainLabels.IsLoadBalanced(App(("DROVER_LB_DRAIN_SECONDS", "3"))));
        Assert.False(LbDrainLabels.IsLoadBalanced(null));
    }

    [Theory]
    [InlineData(null, 5.0)]
    [InlineData("0", 0.0)]
    [InlineData("2.5", 2.5)]
    [InlineData("300", 300.0)]
    public void The_drain_timeout_comes_from_the_label_or_defaults_to_5_s(string? value, double seconds)
    {
        var app = value is null ? App() : App(("DROVER_LB_DRAIN_SECONDS", value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), LbDrainLabels.DrainTimeout(app));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("301")]
    [InlineData("NaN")]
    public void A_bad_drain_timeout_is_refused_at_submit_naming_the_label(string value)
    {
        var errors = new ValidationErrors();
        AppRules.Check(App(("DROVER_LB_DRAIN_SECONDS", value)), errors);
        var detail = Assert.Single(errors.Items, d => d.Path == "/labels/DROVER_LB_DRAIN_SECONDS");
        Assert.Equal($"label DROVER_LB_DRAIN_SECONDS must be a number of seconds from 0 to 300, not '{value}'", Assert.Single(detail.Errors));
    }
}
