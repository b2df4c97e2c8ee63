using Drover.Core.Cluster;
using Drover.Core.Resources;

namespace Drover.Core.Tests;

public sealed class CpuLimitsTests
{
    private static TaskSpec Spec(double cpus, IReadOnlyDictionary<string, string>? labels = null) => new()
    {
        TaskId = "t", AppId = "/a", Version = "v", Cmd = "true", Cpus = cpus,
        Labels = labels ?? new Dictionary<string, string>(),
    };

    [Fact]
    public void By_default_cpus_is_a_share_without_a_quota()
    {
        var limits = CpuLimits.For(Spec(0.05), agentHardLimit: false);

        Assert.False(limits.Hard);
        Assert.Equal(51, limits.Shares);
        Assert.Null(limits.QuotaMicros);
    }

    [Fact]
    public void The_agent_option_or_the_app_label_makes_it_a_quota()
    {
        Assert.Equal(5000, CpuLimits.For(Spec(0.05), agentHardLimit: true).QuotaMicros);
        var labelled = CpuLimits.For(Spec(0.5, new Dictionary<string, string> { [CpuLimits.HardLimitLabel] = "TRUE" }), agentHardLimit: false);
        Assert.True(labelled.Hard);
        Assert.Equal(50_000, labelled.QuotaMicros);
        Assert.False(CpuLimits.For(Spec(0.5, new Dictionary<string, string> { [CpuLimits.HardLimitLabel] = "false" }), false).Hard);
    }

    [Theory]
    [InlineData(0.001, 2, 1)]        // the kernel's minimum share
    [InlineData(1, 1024, 39)]        // runc: 1024 shares -> weight 39
    [InlineData(2, 2048, 79)]
    [InlineData(1000, 262_144, 10_000)]
    public void Shares_and_the_v2_weight_follow_mesos_and_runc(double cpus, long shares, long weight)
    {
        var limits = CpuLimits.For(Spec(cpus), false);
        Assert.Equal(shares, limits.Shares);
        Assert.Equal(weight, limits.Weight);
    }

    [Fact]
    public void A_tiny_hard_limit_is_raised_to_the_kernels_minimum_quota()
    {
        Assert.Equal(1000, CpuLimits.For(Spec(0.001), true).QuotaMicros);
        Assert.False(CpuLimits.For(Spec(0), true).Any);
        Assert.Null(CpuLimits.For(Spec(double.NaN), true).QuotaMicros);
    }
}
