using System.Net;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>Dependency cycles are refused with 422 naming the cycle (Marathon: "Dependency graph has cyclic dependencies"), and nothing is written.</summary>
public class DependencyCycleTests
{
    private static async Task AssertCycleAsync(TestServer t, HttpMethod method, string path, string body, string cycle, string detailPath)
    {
        var before = t.StoredFingerprint();
        var resp = await t.SendJsonAsync(method, path, body);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == (HttpStatusCode)422, $"{method} {path}: {(int)resp.StatusCode} {text}");
        var json = JsonDocument.Parse(text).RootElement;
        var expected = "Dependency graph has cyclic dependencies: " + cycle;
        Assert.Equal(expected, json.GetProperty("message").GetString());
        var detail = Assert.Single(json.GetProperty("details").EnumerateArray());
        Assert.Equal(detailPath, detail.GetProperty("path").GetString());
        Assert.Equal(expected, Assert.Single(detail.GetProperty("errors").EnumerateArray()).GetString());
        Assert.Equal(before, t.StoredFingerprint());
    }

    [Fact(Timeout = 30000)]
    public async Task AGroupWhoseAppsDependOnEachOther()
    {
        await using var t = await TestServer.StartAsync();
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/groups", """
            {"id":"/cyc","apps":[{"id":"a","cmd":"x","instances":0,"dependencies":["/cyc/b"]},
                                 {"id":"b","cmd":"x","instances":0,"dependencies":["a"]}]}
            """, "/cyc/a -> /cyc/b -> /cyc/a", "/");
        await AssertCycleAsync(t, HttpMethod.Put, "/v2/groups/cyc?dryRun=true", """
            {"apps":[{"id":"a","cmd":"x","instances":0,"dependencies":["b"]},{"id":"b","cmd":"x","instances":0,"dependencies":["a"]}]}
            """, "/cyc/a -> /cyc/b -> /cyc/a", "/");
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/groups/cyc")).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task AnAppThatDependsOnItself()
    {
        await using var t = await TestServer.StartAsync();
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/apps", """{"id":"/self","cmd":"x","instances":0,"dependencies":["/self"]}""", "/self -> /self", "/dependencies");
        await AssertCycleAsync(t, HttpMethod.Put, "/v2/apps/self", """{"cmd":"x","instances":0,"dependencies":["self"]}""", "/self -> /self", "/dependencies");
        // inside its own group counts too: depending on a group is depending on every app in it
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/apps", """{"id":"/g/a","cmd":"x","instances":0,"dependencies":["/g"]}""", "/g/a -> /g -> /g/a", "/dependencies");
    }

    [Fact(Timeout = 30000)]
    public async Task GroupsDependingOnThemselvesOrOnEachOther()
    {
        await using var t = await TestServer.StartAsync();
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/groups", """{"id":"/loop","dependencies":["/loop"],"apps":[{"id":"a","cmd":"x","instances":0}]}""", "/loop -> /loop", "/");

        var front = await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", """{"id":"/front","dependencies":["/back"],"apps":[{"id":"web","cmd":"x","instances":0}]}""");
        Assert.Equal(HttpStatusCode.Created, front.StatusCode);
        await t.DeploymentsFinishedAsync();
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/groups", """{"id":"/back","dependencies":["/front"],"apps":[{"id":"db","cmd":"x","instances":0}]}""", "/back -> /front -> /back", "/");
        // nested groups in one body
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/groups", """
            {"id":"/n","groups":[{"id":"x","dependencies":["/n/y"]},{"id":"y","dependencies":["/n/x"]}]}
            """, "/n/x -> /n/y -> /n/x", "/");
    }

    [Fact(Timeout = 30000)]
    public async Task ASingleAppWriteThatClosesACycleWithStoredApps()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/s/a","cmd":"x","instances":0,"dependencies":["/s/b"]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/s/b","cmd":"x","instances":0,"dependencies":["/s/c"]}""")).StatusCode);
        await t.DeploymentsFinishedAsync();
        await AssertCycleAsync(t, HttpMethod.Post, "/v2/apps", """{"id":"/s/c","cmd":"x","instances":0,"dependencies":["/s/a"]}""", "/s/c -> /s/a -> /s/b -> /s/c", "/dependencies");
        await AssertCycleAsync(t, HttpMethod.Put, "/v2/apps/s/c", """{"cmd":"x","instances":0,"dependencies":["a"]}""", "/s/c -> /s/a -> /s/b -> /s/c", "/dependencies");
        await AssertCycleAsync(t, HttpMethod.Patch, "/v2/apps/s/b", """{"dependencies":["/s/a"]}""", "/s/b -> /s/a -> /s/b", "/dependencies");

        // a chain is fine, and the app that would have closed the cycle can be created without it
        var c = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/s/c","cmd":"x","instances":0}""");
        Assert.Equal(HttpStatusCode.Created, c.StatusCode);
    }
}
