using Drover.Core.Discovery;

namespace Drover.Dns.Tests;

public class FailoverResolverTests
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly FailoverPolicy Redis = new() { Service = "redis", TagPriority = ["master", "slave"] };

    private static ServiceInstance R(int n, string tag, HealthStatus health = HealthStatus.Passing) =>
        TestCatalog.Instance("redis", n, $"node-{n}", $"10.0.0.{n}", 6379, health, [tag]);

    [Fact]
    public void PicksTheBestTagWithAnAnswerableInstance()
    {
        var choice = FailoverResolver.Resolve(Redis, [R(1, "master"), R(2, "slave"), R(3, "slave")], null, T0);
        Assert.Equal("master", choice.Tag);
        Assert.Equal(["redis.0001"], choice.Instances.Select(i => i.Id));
        Assert.Equal("redis-vip", choice.Alias);
        Assert.Equal(T0, choice.Since);
    }

    [Fact]
    public void MovesToTheNextTagWhenTheBestIsCriticalAndBackWhenItRecovers()
    {
        var first = FailoverResolver.Resolve(Redis, [R(1, "master"), R(2, "slave")], null, T0);
        var failed = FailoverResolver.Resolve(Redis, [R(1, "master", HealthStatus.Critical), R(2, "slave")], first, T0.AddSeconds(5));
        Assert.Equal("slave", failed.Tag);
        Assert.Equal(["redis.0002"], failed.Instances.Select(i => i.Id));
        Assert.Equal(T0.AddSeconds(5), failed.Since);

        var back = FailoverResolver.Resolve(Redis, [R(1, "master"), R(2, "slave")], failed, T0.AddSeconds(9));
        Assert.Equal("master", back.Tag);
        Assert.Equal(T0.AddSeconds(9), back.Since);
    }

    [Fact]
    public void WithoutFailBackTheCurrentTagIsKeptWhileItIsHealthy()
    {
        var policy = Redis with { FailBack = false };
        var failed = FailoverResolver.Resolve(policy, [R(1, "master", HealthStatus.Critical), R(2, "slave")], null, T0);
        Assert.Equal("slave", failed.Tag);

        var masterBack = FailoverResolver.Resolve(policy, [R(1, "master"), R(2, "slave")], failed, T0.AddSeconds(1));
        Assert.Equal("slave", masterBack.Tag);
        Assert.Equal(T0, masterBack.Since);

        var slaveDies = FailoverResolver.Resolve(policy, [R(1, "master"), R(2, "slave", HealthStatus.Critical)], masterBack, T0.AddSeconds(2));
        Assert.Equal("master", slaveDies.Tag);
    }

    [Fact]
    public void WarningCountsUnlessOnlyPassing()
    {
        var instances = new[] { R(1, "master", HealthStatus.Warning), R(2, "slave") };
        Assert.Equal("master", FailoverResolver.Resolve(Redis, instances, null, T0).Tag);
        Assert.Equal("slave", FailoverResolver.Resolve(Redis, instances, null, T0, onlyPassing: true).Tag);
    }

    [Fact]
    public void NoAnswerableInstanceMeansNoTag()
    {
        var choice = FailoverResolver.Resolve(Redis, [R(1, "master", HealthStatus.Critical), R(2, "other")], null, T0);
        Assert.Null(choice.Tag);
        Assert.Empty(choice.Instances);
    }

    [Fact]
    public void OtherServicesAndTagCaseAreHandled()
    {
        var other = TestCatalog.Instance("mysql", 9, "node-9", "10.0.0.9", 3306, tags: ["master"]);
        var choice = FailoverResolver.Resolve(Redis with { Alias = "cache" }, [other, R(2, "SLAVE")], null, T0);
        Assert.Equal("slave", choice.Tag);
        Assert.Equal(["redis.0002"], choice.Instances.Select(i => i.Id));
        Assert.Equal("cache", choice.Alias);
    }

    [Fact]
    public void ResolveAllKeysByServiceAndCarriesThePreviousChoice()
    {
        var snapshot = new CatalogSnapshot
        {
            Instances = [R(1, "master", HealthStatus.Critical), R(2, "slave")],
            Failover = [Redis with { FailBack = false }],
        };
        var first = FailoverResolver.ResolveAll(snapshot, null, T0);
        Assert.Equal("slave", first["REDIS"].Tag);

        var healed = snapshot with { Instances = [R(1, "master"), R(2, "slave")] };
        Assert.Equal("slave", FailoverResolver.ResolveAll(healed, first, T0.AddSeconds(1))["redis"].Tag);
        Assert.Equal("master", FailoverResolver.ResolveAll(healed, null, T0.AddSeconds(1))["redis"].Tag);
    }
}
