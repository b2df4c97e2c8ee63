using System.Net;

namespace Drover.Server.Tests;

public class GroupTests
{
    private const string Prod = """
        {"id":"/prod","apps":[
          {"id":"db","cmd":"db","instances":1,"cpus":0.1,"mem":16},
          {"id":"web","cmd":"web","instances":2,"cpus":0.1,"mem":16,"dependencies":["db"]}]}
        """;

    [Fact(Timeout = 30000)]
    public async Task AGroupIsOneDeploymentThatStartsDependenciesFirst()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a");
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", Prod);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        var deployments = await TestServer.JsonOf(await t.Http.GetAsync("/v2/deployments"));
        var d = Assert.Single(deployments.EnumerateArray());
        Assert.Equal(2, d.GetProperty("totalSteps").GetInt32());
        Assert.Equal("/prod/db", d.GetProperty("steps")[0].GetProperty("actions")[0].GetProperty("app").GetString());
        Assert.Equal("/prod/web", d.GetProperty("steps")[1].GetProperty("actions")[0].GetProperty("app").GetString());

        // only the dependency runs until it is healthy
        var first = await t.AssignmentsAsync(agent, a => a.Tasks.Count == 1);
        Assert.Equal("/prod/db", first.Tasks[0].Spec.AppId);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/prod/web")).StatusCode);
        await t.ReportAsync(agent, (first.Tasks[0].Spec.TaskId, "/prod/db", "TASK_RUNNING"));
        var all = await t.AssignmentsAsync(agent, a => a.Tasks.Count == 3);
        await t.ReportAsync(agent, all.Tasks.Where(x => x.Spec.AppId == "/prod/web").Select(x => (x.Spec.TaskId, "/prod/web", "TASK_RUNNING")).ToArray());
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "group deployed");

        var root = await TestServer.JsonOf(await t.Http.GetAsync("/v2/groups"));
        Assert.Equal("/", root.GetProperty("id").GetString());
        var prod = root.GetProperty("groups")[0];
        Assert.Equal("/prod", prod.GetProperty("id").GetString());
        Assert.Equal(2, prod.GetProperty("apps").GetArrayLength());
        Assert.False(prod.TryGetProperty("enforceRole", out _));
        var one = await TestServer.JsonOf(await t.Http.GetAsync("/v2/groups//prod"));
        Assert.Equal("/prod", one.GetProperty("id").GetString());

        var again = await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", Prod);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task PutReplacesTheGroupsAppsScaleByScalesAndDeleteStopsEverything()
    {
        await using var t = await TestServer.StartAsync();
        // without dependencies both apps are written at once
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", Prod.Replace(",\"dependencies\":[\"db\"]", ""))).StatusCode);

        var dry = await TestServer.JsonOf(await t.SendJsonAsync(HttpMethod.Put, "/v2/groups/prod?dryRun=true&force=true",
            """{"apps":[{"id":"db","cmd":"db","instances":1,"cpus":0.1,"mem":16}]}"""));
        Assert.Equal("StopApplication", dry.GetProperty("steps")[0].GetProperty("actions")[0].GetProperty("action").GetString());
        Assert.NotNull(await t.Client.GetAppAsync("/prod/web")); // dry run wrote nothing

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/groups/prod?force=true", """{"apps":[{"id":"db","cmd":"db","instances":1,"cpus":0.1,"mem":16}]}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/prod/web")).StatusCode);

        await t.SendJsonAsync(HttpMethod.Put, "/v2/groups/prod?force=true", """{"scaleBy":3}""");
        Assert.Equal(3, (await t.Client.GetAppAsync("/prod/db")).Instances);

        var bad = await t.SendJsonAsync(HttpMethod.Put, "/v2/groups/prod?force=true", """{"apps":[{"id":"/elsewhere/x","cmd":"x"}]}""");
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await t.Http.DeleteAsync("/v2/groups/prod?force=true")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/prod/db")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/groups/prod")).StatusCode);
    }
}
