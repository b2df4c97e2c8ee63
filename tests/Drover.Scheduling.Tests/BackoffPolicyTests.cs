using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class BackoffPolicyTests
{
    private static readonly AppDefinition App = F.App() with { BackoffSeconds = 1, BackoffFactor = 2, MaxLaunchDelaySeconds = 5 };

    [Fact]
    public void Delay_starts_at_backoff_seconds_grows_by_factor_and_is_capped()
    {
        var now = F.T0;
        LaunchBackoff? b = null;
        var delays = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            b = BackoffPolicy.OnTaskFailed(App, b, now);
            delays.Add(b.DelaySeconds);
            Assert.Equal(now.AddSeconds(b.DelaySeconds), b.NextLaunchAt);
            Assert.Equal(i + 1, b.Failures);
            now = now.AddSeconds(30);
        }
        Assert.Equal([1, 2, 4, 5, 5], delays);
    }

    [Fact]
    public void Marathon_defaults_give_1_then_1_15()
    {
        var app = F.App();
        var b1 = BackoffPolicy.OnTaskFailed(app, null, F.T0);
        var b2 = BackoffPolicy.OnTaskFailed(app, b1, F.T0);
        Assert.Equal(1, b1.DelaySeconds);
        Assert.Equal(1.15, b2.DelaySeconds, 9);
    }

    [Fact]
    public void Active_until_next_launch_time()
    {
        var b = BackoffPolicy.OnTaskFailed(App, null, F.T0);
        Assert.True(b.IsActive(F.T0.AddMilliseconds(999)));
        Assert.Equal(TimeSpan.FromMilliseconds(1), b.Remaining(F.T0.AddMilliseconds(999)));
        Assert.False(b.IsActive(F.T0.AddSeconds(1)));
        Assert.Equal(TimeSpan.Zero, b.Remaining(F.T0.AddSeconds(2)));
    }

    [Fact]
    public void A_new_version_starts_over()
    {
        var b = BackoffPolicy.OnTaskFailed(App, BackoffPolicy.OnTaskFailed(App, null, F.T0), F.T0);
        Assert.Equal(2, b.DelaySeconds);
        var v2 = F.Changed(App, F.T0.AddHours(-1));
        Assert.Null(BackoffPolicy.OnNewVersion(v2, b));
        Assert.Same(b, BackoffPolicy.OnNewVersion(App, b));
        var next = BackoffPolicy.OnTaskFailed(v2, b, F.T0);
        Assert.Equal(1, next.Failures);
        Assert.Equal(1, next.DelaySeconds);
    }

    [Fact]
    public void Reset_clears()
    {
        Assert.Null(BackoffPolicy.Reset(BackoffPolicy.OnTaskFailed(App, null, F.T0)));
    }

    [Fact]
    public void Zero_backoff_never_delays()
    {
        var app = App with { BackoffSeconds = 0 };
        var b = BackoffPolicy.OnTaskFailed(app, BackoffPolicy.OnTaskFailed(app, null, F.T0), F.T0);
        Assert.False(b.IsActive(F.T0));
    }

    [Fact]
    public void Ran_well_after_ten_seconds_running_without_health_checks()
    {
        var task = F.Task("t", "/web", "a", stagedAt: F.T0) with { StartedAt = F.At(F.T0) };
        var b = BackoffPolicy.OnTaskFailed(App, null, F.T0);
        Assert.Same(b, BackoffPolicy.OnRanWell(App, b, task, F.T0.AddSeconds(9)));
        Assert.Null(BackoffPolicy.OnRanWell(App, b, task, F.T0.AddSeconds(10)));
        Assert.False(BackoffPolicy.RanWell(App, task with { State = TaskState.Staging }, F.T0.AddHours(1)));
        Assert.False(BackoffPolicy.RanWell(App, task with { Version = F.At(F.T0.AddHours(-3)) }, F.T0.AddHours(1)));
    }

    [Fact]
    public void Ran_well_once_health_checks_pass()
    {
        var app = App with { HealthChecks = [new HealthCheckDefinition()] };
        var task = F.Task("t", "/web", "a", stagedAt: F.T0, healthy: true) with { StartedAt = F.At(F.T0) };
        Assert.True(BackoffPolicy.RanWell(app, task, F.T0.AddSeconds(1)));
        Assert.False(BackoffPolicy.RanWell(app, task with { HealthCheckResults = [] }, F.T0.AddHours(1)));
        Assert.False(BackoffPolicy.RanWell(app, F.Task("t", "/web", "a", healthy: false), F.T0.AddHours(1)));
    }
}
