using System.Net;
using System.Text;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>Hostile and malformed input: always a clear 4xx, never a 500, never a partial write.</summary>
public class BadInputTests
{
    private static readonly string[] Bodies =
    [
        "", "{", "}", "[]", "null", "42", "\"str\"", "{\"id\":null}", "{\"id\":7}", "{\"id\":\"/x\",\"cmd\":[]}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"instances\":1e40}", "{\"id\":\"/x\",\"cmd\":\"a\",\"instances\":-3}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"cpus\":\"NaN\"}", "{\"id\":\"/x\",\"cmd\":\"a\",\"healthChecks\":{}}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"healthChecks\":[null,1,\"a\"]}", "{\"id\":\"/x\",\"cmd\":\"a\",\"constraints\":[[1,2]]}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"portDefinitions\":[{\"port\":70000}]}", "{\"id\":\"/../..\",\"cmd\":\"a\"}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"container\":{\"docker\":{}}}", "{\"id\":\"/x\",\"cmd\":\"a\",\"upgradeStrategy\":[]}",
        "{\"id\":\"/x\",\"cmd\":\"a\",\"env\":{\"A=B\":\"c\"}}", "{\"id\":\"/x\",\"cmd\":\"a\",\"constraints\":[[\"a\",\"LIKE\",\"(\"]]}",
        "{\"version\":\"not-a-date\"}", "{\"instances\":\"many\"}", "{\"ids\":7}", "{\"ids\":[null]}",
        new string('[', 5000), "{\"id\":\"/x\",\"cmd\":\"" + new string('a', 100000) + "\",\"instances\":-1}",
        "\u0000\u0001\u0002", "{\"id\":\"/x\",\"cmd\":\"a\",\"unreachableStrategy\":\"sometimes\"}",
    ];

    private static readonly (string Method, string Path)[] Routes =
    [
        ("POST", "/v2/apps"), ("PUT", "/v2/apps/x"), ("PATCH", "/v2/apps/x"), ("PUT", "/v2/apps/existing"),
        ("POST", "/v2/groups"), ("PUT", "/v2/groups/g"), ("PATCH", "/v2/groups/g"),
        ("POST", "/v2/tasks/delete"), ("POST", "/internal/agents/register"), ("POST", "/internal/agents/nope/heartbeat"),
        ("POST", "/internal/agents/nope/status"),
    ];

    /// <summary>The write routes of apps and groups, where schema, dependency and size checks apply.</summary>
    private static readonly (string Method, string Path)[] WriteRoutes =
    [
        ("POST", "/v2/apps"), ("PUT", "/v2/apps/f1?force=true"), ("PATCH", "/v2/apps/existing?force=true"),
        ("POST", "/v2/groups"), ("PUT", "/v2/groups/fg1?force=true"), ("PATCH", "/v2/groups/fg2?force=true"),
    ];

    [Fact(Timeout = 60000)]
    public async Task NoInputProducesA500OrAPartialWrite()
    {
        await using var t = await TestServer.StartAsync();
        var created = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/existing","cmd":"sleep 1","instances":0}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var writer = (StateWriter)t.Server.Services.GetService(typeof(StateWriter))!;
        // let the create's deployment finish, so the only writer left is this test
        await Eventually.Get(() => t.Http.GetStringAsync("/v2/deployments"), s => s == "[]", "no deployment running");
        var rng = new Random(7);
        var bodies = Bodies.Concat(Enumerable.Range(0, 100).Select(_ => Mutate(Bodies[rng.Next(Bodies.Length)], rng))).ToList();
        foreach (var (method, path) in Routes)
        {
            foreach (var body in bodies)
            {
                var before = AppsFingerprint(writer);
                using var req = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                var resp = await t.Http.SendAsync(req);
                var status = (int)resp.StatusCode;
                var text = await resp.Content.ReadAsStringAsync();
                Assert.True(status < 500, $"{method} {path} with {Short(body)} gave {status}: {text}");
                if (status >= 400)
                {
                    Assert.Contains("\"message\"", text);
                    Assert.True(before == AppsFingerprint(writer), $"{method} {path} with {Short(body)} gave {status} but changed apps: {text}");
                }
            }
        }
        var existing = await t.Client.GetAppAsync("/existing"); // still there, whole
        Assert.False(string.IsNullOrEmpty(existing.Cmd));
    }

    [Fact(Timeout = 120000)]
    public async Task HostileFieldNamesCyclesLongIdsAndBigBodiesNeverGiveA500OrAHalfWrite()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/existing","cmd":"sleep 1","instances":0}""")).StatusCode);
        await t.DeploymentsFinishedAsync();
        var rng = new Random(11);
        var bodies = FuzzBodies.Fixed().Concat(Enumerable.Range(0, 150).Select(_ => FuzzBodies.Random(rng))).ToList();
        var accepted = 0;
        foreach (var (method, path) in WriteRoutes)
        {
            foreach (var body in bodies)
            {
                var before = t.StoredFingerprint();
                using var req = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                var resp = await t.Http.SendAsync(req);
                var status = (int)resp.StatusCode;
                var text = await resp.Content.ReadAsStringAsync();
                Assert.True(status < 500, $"{method} {path} with {Short(body)} gave {status}: {text}");
                if (status >= 400)
                {
                    Assert.Contains("\"message\"", text);
                    Assert.True(before == t.StoredFingerprint(), $"{method} {path} with {Short(body)} gave {status} but wrote: {text}");
                }
                else
                {
                    accepted++;
                    Assert.All(resp.Headers.TryGetValues("Warning", out var w) ? w : [], v => Assert.Matches("^199 drover \"[ -~]*\"$", v));
                    // every accepted body has 0 instances: its deployment ends at once, and then nothing else writes
                    await t.DeploymentsFinishedAsync($"{method} {path} with {Short(body)} deployed");
                }
                AssertWhole(t);
            }
        }
        Assert.True(accepted > 0, "some hostile bodies are still valid apps or groups (unknown fields are only warned about)");
    }

    /// <summary>Every stored app is stored whole: its current version is in its history, and no group update left an app outside its tree.</summary>
    private static void AssertWhole(TestServer t)
    {
        var s = t.Writer.Current;
        foreach (var app in s.All(Schema.Apps))
            Assert.NotNull(s.Get(Schema.AppVersions, Schema.VersionKey(app.Id, app.Version!)));
    }

    [Theory(Timeout = 30000)]
    [InlineData("/v2/apps?label=a%20in%20b")]
    [InlineData("/v2/tasks/x/logs?stream=stdin")]
    [InlineData("/internal/agents/x/assignments?wait=forever")]
    [InlineData("/v2/apps/x/versions/not-a-date")]
    [InlineData("/v2/queue/x/delay")]
    public async Task BadQueriesAreClearErrors(string path)
    {
        await using var t = await TestServer.StartAsync();
        var method = path.StartsWith("/v2/queue") ? HttpMethod.Delete : HttpMethod.Get;
        var resp = await t.Http.SendAsync(new HttpRequestMessage(method, path));
        Assert.InRange((int)resp.StatusCode, 400, 499);
        Assert.Contains("\"message\"", await resp.Content.ReadAsStringAsync());
    }

    /// <summary>Apps and agents as stored (the deployment monitor may write progress marks in the background; those are not the request's doing).</summary>
    private static string AppsFingerprint(StateWriter w) => string.Join(",",
        w.Current.Entries("apps").Values.Concat(w.Current.Entries("agents").Values).Select(e => $"{e.Key}@{e.ModifyIndex}"));

    private static string Mutate(string s, Random rng)
    {
        if (s.Length == 0) return "{";
        var chars = s.ToCharArray();
        for (var i = 0; i < 3; i++) chars[rng.Next(chars.Length)] = "{}[]\",:0-a\\"[rng.Next(11)];
        return new string(chars);
    }

    private static string Short(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
