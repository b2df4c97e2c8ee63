using Drover.Agent.Tests.Infrastructure;
using System.Net;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Apps;
using Drover.State;
using Microsoft.Extensions.DependencyInjection;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>GET /v1/drover/apps/{id}/history: which stored versions a revert undid (so `drover app rollback` can skip them).</summary>
public class AppHistoryTests
{
    private const string TimestampPattern = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$";

    private static Task ReportAsync(TestServer t, string agent, IEnumerable<TaskAssignment> tasks, string state) =>
        t.Client.ReportStatusAsync(agent, tasks.Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = x.Spec.AppId, State = state }).ToList());

    private static StateSnapshot Store(TestServer t) => t.Server.Services.GetRequiredService<StateWriter>().Current;

    private static async Task<string> VersionOf(HttpResponseMessage resp) => (await TestServer.JsonOf(resp)).GetProperty("version").GetString()!;

    [Fact(Timeout = 30000)]
    public async Task Deleting_a_deployment_marks_its_version_reverted_and_not_the_revert()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        var v1 = await VersionOf(await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/hello","cmd":"v1","instances":1,"cpus":0.1,"mem":16}"""));
        await ReportAsync(t, agent, (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1)).Tasks, "TASK_RUNNING");
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed");
        var scaled = await VersionOf(await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/hello", """{"instances":2}"""));
        var second = (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 2)).Tasks.Where(x => x.Spec.Version == scaled);
        await ReportAsync(t, agent, second, "TASK_RUNNING");
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "scale deployed");

        // v2 is started but never reports running: stuck, so the operator reverts it
        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/hello", """{"cmd":"v2"}""");
        var badDeployment = put.Headers.GetValues("Marathon-Deployment-Id").Single();
        var v2 = await VersionOf(put);
        await t.AssignmentsAsync(agent, x => x.Tasks.Any(y => y.Spec.Cmd == "v2"));
        var del = await t.Http.DeleteAsync($"/v2/deployments/{badDeployment}");
        Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        var revert = await TestServer.JsonOf(del);
        var revertId = revert.GetProperty("deploymentId").GetString()!;
        var revertVersion = revert.GetProperty("version").GetString()!;

        var history = await t.Client.GetAppHistoryAsync("/hello");
        Assert.Equal("/hello", history.AppId);
        Assert.Equal(revertVersion, history.Version);
        Assert.Equal(revertVersion, history.LastConfigChangeAt); // a revert is a config change back to v1's config
        Assert.Equal([revertVersion, v2, scaled, v1], history.Versions.Select(v => v.Version));
        Assert.Equal([false, true, false, false], history.Versions.Select(v => v.Reverted));
        Assert.Equal([revertVersion, v2, v1, v1], history.Versions.Select(v => v.LastConfigChangeAt)); // scaling keeps the config version

        var bad = history.Versions[1];
        Assert.Equal(revertId, bad.RevertedBy);
        Assert.Equal($"reverted by DELETE /v2/deployments/{badDeployment}", bad.Reason);
        Assert.Matches(TimestampPattern, bad.RevertedAt);
        Assert.All(history.Versions.Where(v => !v.Reverted), v => Assert.Null(v.RevertedBy ?? v.RevertedAt ?? v.Reason));

        // the wire: reverted fields only on the reverted version
        var raw = await TestServer.JsonOf(await t.Http.GetAsync("/v1/drover/apps/hello/history"));
        Assert.False(raw.GetProperty("versions")[0].TryGetProperty("revertedBy", out _));
        Assert.True(raw.GetProperty("versions")[1].GetProperty("reverted").GetBoolean());
        Assert.Equal(revertId, raw.GetProperty("versions")[1].GetProperty("revertedBy").GetString());

        // what the CLI diffs: the raw definition of a stored version
        var definition = await t.Client.GetAppVersionAsync("/hello", v2);
        Assert.Equal("v2", definition.GetProperty("cmd").GetString());
        Assert.Equal(v2, definition.GetProperty("version").GetString());
    }

    [Fact(Timeout = 30000)]
    public async Task An_auto_revert_at_the_progress_deadline_marks_the_bad_version()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        // frequent passes, so each clock step is seen; the agent stays alive however far the clock moves
        var options = new ServerOptions { ReconcileInterval = TimeSpan.FromMilliseconds(50), AgentTimeout = TimeSpan.FromDays(1) };
        await using var t = await TestServer.StartAsync(options, time);
        var agent = await t.RegisterAgentAsync("host-a");
        var v1 = await VersionOf(await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/auto","cmd":"v1","instances":1,"cpus":0.1,"mem":16}"""));
        await ReportAsync(t, agent, (await t.AssignmentsAsync(agent, x => x.Tasks.Count == 1)).Tasks, "TASK_RUNNING");
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "v1 deployed");

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/auto",
            """{"cmd":"v2","labels":{"DROVER_PROGRESS_DEADLINE_SECONDS":"5","DROVER_AUTO_REVERT":"true"}}""");
        var v2 = await VersionOf(put);
        await t.AssignmentsAsync(agent, x => x.Tasks.Any(y => y.Spec.Cmd == "v2"));

        var history = await Eventually.Get(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1)); // the v2 task never runs: no progress until the deadline
            return await t.Client.GetAppHistoryAsync("/auto");
        }, h => h.Versions.Count == 3, "auto-revert after the progress deadline");

        Assert.Equal([false, true, false], history.Versions.Select(v => v.Reverted));
        var bad = history.Versions[1];
        Assert.Equal(v2, bad.Version);
        Assert.StartsWith("auto-revert after: no progress for 5 s (progress deadline)", bad.Reason);
        Assert.Equal(history.Versions[0].Version, history.Version);
        Assert.Equal(v1, history.Versions[2].Version);
        Assert.Equal("v1", (await t.Client.GetAppAsync("/auto")).Cmd);
        // the revert is a deployment of its own; the reverted version names it
        var revertDeployment = Assert.Single(Store(t).All(Schema.Deployments));
        Assert.Equal(revertDeployment.Id, bad.RevertedBy);
        Assert.Equal(bad.RevertedAt, revertDeployment.Version);
    }

    [Fact(Timeout = 30000)]
    public async Task A_revert_in_the_same_millisecond_still_gets_a_version_of_its_own()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)); // never moves
        await using var t = await TestServer.StartAsync(time: time);
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/fast","cmd":"v1","instances":1,"cpus":0.1,"mem":16}""");
        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/fast?force=true", """{"cmd":"v2"}""");
        var v2 = await VersionOf(put);
        var revertVersion = await VersionOf(await t.Http.DeleteAsync($"/v2/deployments/{put.Headers.GetValues("Marathon-Deployment-Id").Single()}"));

        Assert.True(string.CompareOrdinal(revertVersion, v2) > 0, $"revert {revertVersion} is not after {v2}");
        Assert.Equal("v2", (await t.Client.GetAppVersionAsync("/fast", v2)).GetProperty("cmd").GetString()); // not overwritten by the revert
        var history = await t.Client.GetAppHistoryAsync("/fast");
        Assert.Equal([false, true, false], history.Versions.Select(v => v.Reverted));
    }

    [Fact(Timeout = 60000)]
    public async Task Reverted_marks_are_pruned_with_their_versions_and_removed_with_the_app()
    {
        // no agent: nothing can be placed, so deployments stay in progress and no task holds a version
        await using var t = await TestServer.StartAsync();
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/pruned","cmd":"v1","instances":1,"cpus":0.1,"mem":16}""");
        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/pruned?force=true", """{"cmd":"v2"}""");
        var v2 = await VersionOf(put);
        var del = await t.Http.DeleteAsync($"/v2/deployments/{put.Headers.GetValues("Marathon-Deployment-Id").Single()}");
        Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        var markKey = Schema.VersionKey("/pruned", v2);
        Assert.NotNull(Store(t).Get(Schema.RevertedVersions, markKey));

        // three versions so far (v1, v2, revert); fill up to the limit: v2 and its mark stay
        for (var i = 3; i < Storage.AppWrites.MaxStoredVersions; i++)
            Assert.Equal(HttpStatusCode.OK, (await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/pruned?force=true", $$$"""{"labels":{"n":"{{{i}}}"}}""")).StatusCode);
        var full = await t.Client.GetAppHistoryAsync("/pruned");
        Assert.Equal(Storage.AppWrites.MaxStoredVersions, full.Versions.Count);
        Assert.True(full.Versions.Single(v => v.Version == v2).Reverted);

        // two more: v1, then v2 are pruned, and the mark goes with v2
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/pruned?force=true", $$$"""{"labels":{"more":"{{{i}}}"}}""")).StatusCode);
        var pruned = await t.Client.GetAppHistoryAsync("/pruned");
        Assert.Equal(Storage.AppWrites.MaxStoredVersions, pruned.Versions.Count);
        Assert.DoesNotContain(pruned.Versions, v => v.Version == v2 || v.Reverted);
        Assert.Null(Store(t).Entry(Schema.AppVersions.Name, markKey));
        Assert.Null(Store(t).Get(Schema.RevertedVersions, markKey));

        // a newer revert, then the app goes: its marks go with its versions
        var put2 = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/pruned?force=true", """{"cmd":"v3"}""");
        Assert.Equal(HttpStatusCode.OK, (await t.Http.DeleteAsync($"/v2/deployments/{put2.Headers.GetValues("Marathon-Deployment-Id").Single()}")).StatusCode);
        Assert.Single(Store(t).All(Schema.RevertedVersions));
        Assert.Equal(HttpStatusCode.OK, (await t.Http.DeleteAsync("/v2/apps/pruned")).StatusCode);
        Assert.Empty(Store(t).All(Schema.RevertedVersions));
        Assert.Empty(Store(t).WithPrefix(Schema.AppVersions.Name, "/pruned@"));
    }

    [Fact(Timeout = 30000)]
    public async Task History_of_an_unknown_app_is_404_like_marathon()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.Http.GetAsync("/v1/drover/apps/prod/nope/history");
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("App '/prod/nope' does not exist", (await TestServer.JsonOf(resp)).GetProperty("message").GetString());
        var e = await Assert.ThrowsAsync<DroverApiException>(() => t.Client.GetAppHistoryAsync("/prod/nope"));
        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Equal("App '/prod/nope' does not exist", e.Message);

        // nested ids route through the whole tail
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/prod/web","cmd":"x","instances":0}""");
        var history = await t.Client.GetAppHistoryAsync("/prod/web");
        Assert.Equal("/prod/web", history.AppId);
        Assert.Equal(history.Version, Assert.Single(history.Versions).Version);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v1/drover/apps/prod/web")).StatusCode);
    }
}
