using Drover.Core.Apps;
using static Drover.Scheduling.Tests.F;

namespace Drover.Scheduling.Tests;

public class DeploymentPlannerTests
{
    private static readonly string V3 = At(T0);

    private static Dictionary<string, AppDefinition?> Targets(params AppDefinition?[] apps) => apps.ToDictionary(a => a!.Id, a => a);

    private static DeploymentRequest Request(IReadOnlyDictionary<string, AppDefinition?> targets, bool force = false, Dictionary<string, string>? actions = null) =>
        new() { Targets = targets, Actions = actions ?? [], Version = V3, Force = force };

    private static DeploymentRecord Running(string id, AppDefinition target, AppDefinition? original) => new()
    {
        Id = id,
        Version = target.Version!,
        AffectedApps = [target.Id],
        Steps = [new DeploymentStep { Actions = [new DeploymentAction(DeploymentAction.Restart, target.Id)] }],
        Targets = new Dictionary<string, AppDefinition> { [target.Id] = target },
        Originals = original is null ? new Dictionary<string, AppDefinition>() : new Dictionary<string, AppDefinition> { [original.Id] = original },
        StartedAt = At(T0.AddMinutes(-5)),
        LastProgressAt = At(T0.AddMinutes(-5)),
    };

    private static string[][] Order(IReadOnlyList<DeploymentStep> steps) => steps.Select(s => s.Actions.Select(a => a.App).ToArray()).ToArray();

    [Fact]
    public void Apps_start_after_their_dependencies_and_independent_apps_share_a_step()
    {
        var db = App("/db");
        var cache = App("/cache");
        var api = App("/api") with { Dependencies = ["/db", "/cache"] };
        var web = App("/web") with { Dependencies = ["/api"] };
        var steps = StepOrder.Steps(Targets(web, api, cache, db), new Dictionary<string, string>());
        Assert.Equal([["/cache", "/db"], ["/api"], ["/web"]], Order(steps));
        Assert.All(steps.SelectMany(s => s.Actions), a => Assert.Equal(DeploymentAction.Restart, a.Action));
    }

    [Fact]
    public void Removals_run_first_and_in_reverse_dependency_order()
    {
        var removed = new Dictionary<string, AppDefinition?> { ["/db"] = null, ["/api"] = null, ["/new"] = App("/new") };
        // a removed app has no definition left, so its dependencies come from its groups
        IEnumerable<string> Inherited(string id) => id == "/api" ? ["/db"] : [];
        var actions = new Dictionary<string, string> { ["/db"] = DeploymentAction.Stop, ["/api"] = DeploymentAction.Stop, ["/new"] = DeploymentAction.Start };
        var steps = StepOrder.Steps(removed, actions, Inherited);
        Assert.Equal([["/api"], ["/db"], ["/new"]], Order(steps));
        Assert.Equal(DeploymentAction.Stop, steps[0].Actions[0].Action);
        Assert.Equal(DeploymentAction.Start, steps[2].Actions[0].Action);
    }

    [Fact]
    public void A_stored_dependency_cycle_does_not_loop()
    {
        var a = App("/a") with { Dependencies = ["/b"] };
        var b = App("/b") with { Dependencies = ["/a"] };
        var steps = StepOrder.Steps(Targets(a, b), new Dictionary<string, string>());
        Assert.Equal(["/a", "/b"], steps.SelectMany(s => s.Actions).Select(x => x.App).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_change_to_an_app_a_running_deployment_holds_is_locked_unless_forced()
    {
        var running = Running("d1", App("/web", version: V2), App("/web"));
        var plan = DeploymentPlanner.Plan(Request(Targets(App("/web", version: V3))), [running], _ => App("/web", version: V2), "d2", T0);
        Assert.Equal(["d1"], Assert.IsType<DeploymentPlan.Locked>(plan).DeploymentIds);

        var other = DeploymentPlanner.Plan(Request(Targets(App("/other", version: V3))), [running], _ => null, "d3", T0);
        Assert.Empty(Assert.IsType<DeploymentPlan.Ready>(other).Canceled);
    }

    [Fact]
    public void A_forced_change_over_a_running_deployment_cancels_it_and_keeps_what_was_there_before_it()
    {
        var before = App("/web", instances: 2);
        var running = Running("d1", App("/web", instances: 5, version: V2), before);
        var plan = DeploymentPlanner.Plan(Request(Targets(App("/web", instances: 3, version: V3)), force: true), [running],
            _ => App("/web", instances: 5, version: V2), "d2", T0);
        var ready = Assert.IsType<DeploymentPlan.Ready>(plan);
        Assert.Equal("d1", Assert.Single(ready.Canceled).Id);
        // reverting the forced deployment goes back past the canceled one, to what ran before either
        Assert.Equal(before, ready.Record.Originals["/web"]);
        Assert.Equal(3, ready.Record.Targets["/web"].Instances);
    }

    [Fact]
    public void A_plan_records_its_id_version_time_and_the_current_definitions_as_originals()
    {
        var current = App("/web", version: V2);
        var plan = DeploymentPlanner.Plan(Request(new Dictionary<string, AppDefinition?> { ["/web"] = App("/web", version: V3), ["/gone"] = null }),
            [], id => id == "/web" ? current : null, "d9", T0);
        var record = Assert.IsType<DeploymentPlan.Ready>(plan).Record;
        Assert.Equal("d9", record.Id);
        Assert.Equal(V3, record.Version);
        Assert.Equal(At(T0), record.StartedAt);
        Assert.Equal(At(T0), record.LastProgressAt);
        Assert.Equal(["/gone", "/web"], record.AffectedApps);
        Assert.Equal(["/web"], record.Targets.Keys);
        Assert.Equal(current, Assert.Single(record.Originals).Value);
        Assert.Equal(1, record.CurrentStep);
    }

    [Fact]
    public void Each_step_writes_its_apps_targets_and_removes_the_apps_it_stops()
    {
        var plan = DeploymentPlanner.Plan(Request(new Dictionary<string, AppDefinition?> { ["/old"] = null, ["/new"] = App("/new", version: V3) }),
            [], _ => null, "d1", T0);
        var record = Assert.IsType<DeploymentPlan.Ready>(plan).Record;
        Assert.Equal([new AppTarget("/old", null)], DeploymentPlanner.StepWrites(record, 1));
        Assert.Equal([new AppTarget("/new", record.Targets["/new"])], DeploymentPlanner.StepWrites(record, 2));
    }

    [Fact]
    public void A_revert_restores_originals_under_a_new_version_and_removes_the_apps_the_deployment_created()
    {
        var original = App("/web", instances: 2);
        var d = Running("d1", App("/web", instances: 5, version: V2), original) with
        {
            AffectedApps = ["/created", "/web"],
            Targets = new Dictionary<string, AppDefinition> { ["/web"] = App("/web", instances: 5, version: V2), ["/created"] = App("/created", version: V2) },
        };
        var request = DeploymentPlanner.Revert(d, id => id == "/web" ? App("/web", instances: 5, version: V2) : null, V3);
        Assert.True(request.Force);
        Assert.Equal("d1", request.RevertOf);
        Assert.Equal(V3, request.Version);
        Assert.Null(request.Targets["/created"]);
        Assert.Equal(DeploymentAction.Stop, request.Actions["/created"]);
        var web = request.Targets["/web"]!;
        Assert.Equal(2, web.Instances);
        Assert.Equal(V3, web.Version);
        Assert.Equal(V3, web.VersionInfo!.LastConfigChangeAt);
        Assert.Equal(DeploymentAction.Restart, request.Actions["/web"]);

        // an app the deployment had already removed comes back with a start
        var removed = DeploymentPlanner.Revert(d, _ => null, V3);
        Assert.Equal(DeploymentAction.Start, removed.Actions["/web"]);
    }

    [Fact]
    public void A_revert_replaces_the_deployment_it_reverts_and_keeps_the_current_apps_as_originals()
    {
        var d = Running("d1", App("/web", instances: 5, version: V2), App("/web", instances: 2));
        var current = App("/web", instances: 5, version: V2);
        var plan = DeploymentPlanner.Plan(DeploymentPlanner.Revert(d, _ => current, V3), [d], _ => current, "d2", T0);
        var ready = Assert.IsType<DeploymentPlan.Ready>(plan);
        Assert.Equal("d1", Assert.Single(ready.Canceled).Id);
        Assert.Equal("d1", ready.Record.RevertOf);
        // a revert's own originals are what it replaces, so reverting the revert goes forward again
        Assert.Equal(current, ready.Record.Originals["/web"]);
    }
}
