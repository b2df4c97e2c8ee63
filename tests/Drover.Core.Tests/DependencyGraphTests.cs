using Drover.Core.Apps;

namespace Drover.Core.Tests;

public class DependencyGraphTests
{
    private static Dictionary<string, IReadOnlyList<string>> Deps(params (string Id, string[] Deps)[] items) =>
        items.ToDictionary(i => i.Id, i => (IReadOnlyList<string>)i.Deps);

    private static string? Cycle(Dictionary<string, IReadOnlyList<string>> apps, Dictionary<string, IReadOnlyList<string>>? groups = null, params string[] through)
    {
        groups ??= [];
        var cycle = DependencyGraph.FindCycle(apps, groups, through.Length > 0 ? through : apps.Keys.Concat(groups.Keys));
        return cycle is null ? null : DependencyGraph.Describe(cycle);
    }

    [Fact]
    public void AppsDependingOnEachOther()
    {
        Assert.Equal("/cyc/a -> /cyc/b -> /cyc/a", Cycle(Deps(("/cyc/a", ["/cyc/b"]), ("/cyc/b", ["/cyc/a"]))));
    }

    [Fact]
    public void AnAppDependingOnItself()
    {
        Assert.Equal("/a -> /a", Cycle(Deps(("/a", ["/a"]))));
    }

    [Fact]
    public void ALongerCycleIsNamedFromTheChangedApp()
    {
        var apps = Deps(("/x/a", ["/x/b"]), ("/x/b", ["/x/c"]), ("/x/c", ["/x/a"]), ("/x/d", ["/x/a"]));
        Assert.Equal("/x/c -> /x/a -> /x/b -> /x/c", Cycle(apps, through: "/x/c"));
        Assert.Null(Cycle(apps, through: "/x/d")); // d depends on the cycle but is not part of it
    }

    [Fact]
    public void ChainsAndDiamondsAreFine()
    {
        Assert.Null(Cycle(Deps(("/a", ["/b", "/c"]), ("/b", ["/d"]), ("/c", ["/d"]), ("/d", []))));
        Assert.Null(Cycle(Deps(("/prod/web", ["/prod/db", "/unknown"]), ("/prod/db", []))));
        // 10,000 apps in one chain: no recursion to overflow
        var chain = Enumerable.Range(0, 10_000).ToDictionary(i => $"/c/a{i}", i => (IReadOnlyList<string>)(i == 0 ? [] : [$"/c/a{i - 1}"]));
        Assert.Null(Cycle(chain));
        chain["/c/a0"] = ["/c/a9999"];
        Assert.StartsWith("/c/a0 -> /c/a9999 -> /c/a9998", Cycle(chain, through: "/c/a0"));
    }

    [Fact]
    public void AGroupDependingOnItself()
    {
        Assert.Equal("/g -> /g", Cycle([], Deps(("/g", ["/g"]))));
        Assert.Equal("/g -> /g", Cycle(Deps(("/g/a", [])), Deps(("/g", ["/g"])), "/g"));
        Assert.Equal("/g -> /g", Cycle(Deps(("/g/a", [])), Deps(("/g", ["/g"])), "/g/a", "/g")); // named by the group, not via its app
    }

    [Fact]
    public void GroupsDependingOnEachOtherWithOrWithoutApps()
    {
        Assert.Equal("/a -> /b -> /a", Cycle([], Deps(("/a", ["/b"]), ("/b", ["/a"]))));
        Assert.Equal("/a -> /b -> /a", Cycle(Deps(("/a/x", []), ("/b/y", [])), Deps(("/a", ["/b"]), ("/b", ["/a"])), "/a"));
    }

    [Fact]
    public void AnAppInsideAGroupItDependsOnIsACycle()
    {
        // depending on a group means depending on every app in it, this one included
        Assert.Equal("/g/a -> /g -> /g/a", Cycle(Deps(("/g/a", ["/g"]))));
    }

    [Fact]
    public void GroupDependenciesAreInheritedByTheirApps()
    {
        // /front depends on /back, and an app in /back depends on an app in /front
        var apps = Deps(("/front/web", []), ("/back/api", ["/front/web"]));
        var groups = Deps(("/front", ["/back"]));
        Assert.Equal("/back/api -> /front/web -> /front -> /back -> /back/api", Cycle(apps, groups, "/back/api"));
        // nested: /front/inner/x inherits /front's dependency on /back too
        apps = Deps(("/front/inner/x", []), ("/back/api", ["/front/inner/x"]));
        Assert.NotNull(Cycle(apps, groups, "/back/api"));
        // without the app's dependency there is nothing circular
        Assert.Null(Cycle(Deps(("/front/web", []), ("/back/api", [])), groups));
    }

    [Fact]
    public void ACycleOutsideTheChangeIsNotBlamedOnIt()
    {
        var apps = Deps(("/old/a", ["/old/b"]), ("/old/b", ["/old/a"]), ("/new/c", ["/other"]), ("/other", []));
        Assert.Null(Cycle(apps, through: "/new/c"));
    }
}
