using System.Net;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>Unknown fields do not fail a write (as in Marathon), but each is named in a Warning header.</summary>
public class UnknownFieldWarningTests
{
    private static List<string> Warnings(HttpResponseMessage resp) =>
        resp.Headers.TryGetValues("Warning", out var v) ? v.ToList() : [];

    [Fact(Timeout = 30000)]
    public async Task ATypoIsStoredWithoutTheFieldAndNamedWithASuggestion()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/w","cmd":"x","instnaces":3,"mem":16}""");
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.Equal(["199 drover \"unknown field 'instnaces' ignored (did you mean 'instances'?)\""], Warnings(resp));
        var warning = Assert.Single(resp.Headers.Warning);
        Assert.Equal(199, warning.Code);
        Assert.Equal("drover", warning.Agent);
        Assert.Equal("\"unknown field 'instnaces' ignored (did you mean 'instances'?)\"", warning.Text);
        Assert.Equal(1, (await t.Client.GetAppAsync("/w")).Instances); // the default: the typo was ignored

        var clean = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/clean","cmd":"x","instances":0}""");
        Assert.Equal(HttpStatusCode.Created, clean.StatusCode);
        Assert.Empty(Warnings(clean));
    }

    [Fact(Timeout = 30000)]
    public async Task PutAndPatchNameNestedFieldsWithTheirPath()
    {
        await using var t = await TestServer.StartAsync();
        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/p?force=true",
            """{"cmd":"x","instances":0,"healthChecks":[{"protocol":"TCP","gracePeriodSecond":3}],"upgradeStrategy":{"minimumHealthCapacity":1,"bogus":1}}""");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal([
            "199 drover \"unknown field 'gracePeriodSecond' at /healthChecks(0) ignored (did you mean 'gracePeriodSeconds'?)\"",
            "199 drover \"unknown field 'bogus' at /upgradeStrategy ignored\"",
        ], Warnings(put));
        Assert.Equal(300, (await t.Client.GetAppAsync("/p")).HealthChecks[0].GracePeriodSeconds);

        var patch = await t.SendJsonAsync(HttpMethod.Patch, "/v2/apps/p?force=true", """{"Cmd":"y"}""");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal(["199 drover \"unknown field 'Cmd' ignored (did you mean 'cmd'?)\""], Warnings(patch));
    }

    [Fact(Timeout = 30000)]
    public async Task AnAppSentBackAsReadHasNoUnknownFields()
    {
        await using var t = await TestServer.StartAsync();
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/rt","cmd":"x","instances":0,"healthChecks":[{"protocol":"HTTP"}],"readinessChecks":[{}],"fetch":[{"uri":"http://x.invalid/a"}],"labels":{"A":"b"}}""");
        var app = (await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/rt?embed=app.taskStats&embed=app.readiness"))).GetProperty("app");
        Assert.True(app.TryGetProperty("tasksRunning", out _));
        var back = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/rt?force=true", app.GetRawText());
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Empty(Warnings(back));

        var group = await TestServer.JsonOf(await t.Http.GetAsync("/v2/groups"));
        var putGroup = await t.SendJsonAsync(HttpMethod.Put, "/v2/groups?force=true&dryRun=true", group.GetRawText());
        Assert.Equal(HttpStatusCode.OK, putGroup.StatusCode);
        Assert.Empty(Warnings(putGroup));
    }

    [Fact(Timeout = 30000)]
    public async Task GroupsNameUnknownFieldsOfTheirAppsAndNestedGroups()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", """
            {"id":"/g","dependancies":[],"apps":[{"id":"a","cmd":"x","instances":0,"contianer":null}],
             "groups":[{"id":"inner","apps":[{"id":"b","cmd":"x","instances":0,"labls":{}}]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.Equal([
            "199 drover \"unknown field 'dependancies' ignored (did you mean 'dependencies'?)\"",
            "199 drover \"unknown field 'contianer' at /apps(0) ignored (did you mean 'container'?)\"",
            "199 drover \"unknown field 'labls' at /groups(0)/apps(0) ignored (did you mean 'labels'?)\"",
        ], Warnings(resp));

        var put = await t.SendJsonAsync(HttpMethod.Put, "/v2/groups/g?force=true", """{"scaleBy":2,"scaleby":3}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(["199 drover \"unknown field 'scaleby' ignored (did you mean 'scaleBy'?)\""], Warnings(put));
    }

    [Fact(Timeout = 30000)]
    public async Task HeaderValuesStayAsciiAndAreCapped()
    {
        await using var t = await TestServer.StartAsync();
        var fields = Enumerable.Range(0, 25).Select(i => $"\"extra{i}\":1").Append("\"caf\u00e9 \\\"q\\\" \u2603\":1").Append($"\"{new string('z', 5000)}\":1");
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", "{\"id\":\"/many\",\"cmd\":\"x\",\"instances\":0," + string.Join(',', fields) + "}");
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        var warnings = Warnings(resp);
        Assert.Equal(21, warnings.Count);
        Assert.Equal("199 drover \"and 7 more unknown fields ignored\"", warnings[^1]);
        Assert.All(warnings, w => Assert.True(w.All(c => c is >= ' ' and <= '~'), w));
        Assert.All(warnings, w => Assert.True(w.Length < 300, w));

        // the odd names themselves, escaped: the first 20 go in headers, so send them alone
        var odd = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", "{\"id\":\"/odd\",\"cmd\":\"x\",\"instances\":0,\"caf\u00e9 \\\"q\\\\\":1}");
        Assert.Equal(HttpStatusCode.Created, odd.StatusCode);
        Assert.Equal(["199 drover \"unknown field 'caf\\\\u00e9 \\\"q\\\\' ignored\""], Warnings(odd));
        Assert.Equal("\"unknown field 'caf\\\\u00e9 \\\"q\\\\' ignored\"", Assert.Single(odd.Headers.Warning).Text);
    }

    [Fact(Timeout = 30000)]
    public async Task RefusedWritesCarryNoWarnings()
    {
        await using var t = await TestServer.StartAsync();
        var resp = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/x","cmd":"x","cpus":"many","instnaces":2}""");
        Assert.Equal((HttpStatusCode)422, resp.StatusCode);
        Assert.Empty(Warnings(resp));
        Assert.Equal(JsonValueKind.Array, (await TestServer.JsonOf(resp)).GetProperty("details").ValueKind);
    }
}
