using System.Net;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>Ids must fit the names built from them (DNS labels and names, task ids); refused with 422 naming the limit and the length.</summary>
public class IdLimitApiTests
{
    private static async Task<List<(string Path, string Error)>> RefusedAsync(TestServer t, HttpMethod method, string path, string body)
    {
        var before = t.StoredFingerprint();
        var resp = await t.SendJsonAsync(method, path, body);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == (HttpStatusCode)422, $"{method} {path}: {(int)resp.StatusCode} {text}");
        Assert.Equal(before, t.StoredFingerprint());
        return JsonDocument.Parse(text).RootElement.GetProperty("details").EnumerateArray()
            .SelectMany(d => d.GetProperty("errors").EnumerateArray().Select(e => (d.GetProperty("path").GetString()!, e.GetString()!))).ToList();
    }

    private static string App(string id, string extra = "") => $$"""{"id":"{{id}}","cmd":"x","instances":0{{extra}}}""";

    [Fact(Timeout = 30000)]
    public async Task AHugeSegmentIsRefusedQuicklyWithTheLimitAndTheLength()
    {
        await using var t = await TestServer.StartAsync();
        var errors = await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App("/" + new string('a', 5000)));
        Assert.Contains(errors, e => e.Path == "/id" && e.Error.Contains("is 5000 characters") && e.Error.Contains("at most 63"));
        Assert.All(errors, e => Assert.True(e.Error.Length < 400, e.Error));
        errors = await RefusedAsync(t, HttpMethod.Put, "/v2/apps/" + new string('a', 64), """{"cmd":"x"}""");
        Assert.Contains(errors, e => e.Path == "/id" && e.Error.Contains("is 64 characters"));
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", App("/" + new string('a', 63)))).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task AServiceNameLongerThanALabelNeedsAShorterIdOrItsOwnName()
    {
        await using var t = await TestServer.StartAsync();
        var id = "/" + new string('a', 40) + "/" + new string('b', 40);
        var error = Assert.Single(await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App(id)));
        Assert.Equal("/id", error.Path);
        Assert.Contains("is 81 characters", error.Error);
        Assert.Contains("at most 63", error.Error);
        Assert.Contains("DROVER_SERVICE_NAME", error.Error);

        var named = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", App(id, ""","labels":{"DROVER_SERVICE_NAME":"ab"}"""));
        Assert.Equal(HttpStatusCode.Created, named.StatusCode);
    }

    [Theory(Timeout = 30000)]
    [InlineData("My_App")]
    [InlineData("web.prod")]
    [InlineData("-web")]
    [InlineData("")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 64
    public async Task AServiceNameLabelMustBeADnsLabel(string name)
    {
        await using var t = await TestServer.StartAsync();
        var error = Assert.Single(await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App("/web", $$""","labels":{"DROVER_SERVICE_NAME":"{{name}}"}""")));
        Assert.Equal("/labels/DROVER_SERVICE_NAME", error.Path);
        Assert.Contains($"({name.Length} characters) is not a DNS label", error.Error);
    }

    [Fact(Timeout = 30000)]
    public async Task DnsNamesMustFitWithTheConfiguredDomain()
    {
        var domain = string.Join('.', Enumerable.Repeat(new string('d', 60), 3)); // 182 characters
        await using var t = await TestServer.StartAsync(new ServerOptions { DnsDomain = domain });
        // _<svc>._tcp.service.dc1.<domain> is 201 characters plus the service name
        var error = Assert.Single(await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App("/" + new string('s', 53))));
        Assert.Equal("/id", error.Path);
        Assert.Contains("would be 254 characters", error.Error);
        Assert.Contains("at most 253", error.Error);
        Assert.Contains(domain, error.Error);
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", App("/" + new string('s', 52)))).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task TaskIdsMustFitWhatAgentsAccept()
    {
        await using var t = await TestServer.StartAsync();
        var id = "/" + string.Join('/', Enumerable.Repeat(new string('t', 63), 3));
        var errors = await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App(id, ""","labels":{"DROVER_SERVICE_NAME":"t"}"""));
        var error = Assert.Single(errors);
        Assert.Equal("/id", error.Path);
        Assert.Contains("task ids built from this id", error.Error);
        Assert.Contains("would be 244 characters", error.Error);
        Assert.Contains("at most 200", error.Error);
    }

    [Fact(Timeout = 30000)]
    public async Task AFailoverNameMustBeALabelToo()
    {
        await using var t = await TestServer.StartAsync();
        var error = Assert.Single(await RefusedAsync(t, HttpMethod.Post, "/v2/apps", App("/" + new string('f', 60), ""","labels":{"DROVER_FAILOVER":"master,slave"}""")));
        Assert.Equal("/labels/DROVER_FAILOVER", error.Path);
        Assert.Contains("is 64 characters", error.Error);
        Assert.Contains("DROVER_FAILOVER_ALIAS", error.Error);
    }

    [Fact(Timeout = 30000)]
    public async Task GroupIdsAreHeldToTheSameLimits()
    {
        await using var t = await TestServer.StartAsync();
        var long64 = new string('g', 64);
        Assert.Contains(await RefusedAsync(t, HttpMethod.Post, "/v2/groups", $$"""{"id":"/{{long64}}"}"""), e => e.Path == "/id" && e.Error.Contains("is 64 characters"));
        Assert.Contains(await RefusedAsync(t, HttpMethod.Put, "/v2/groups/" + long64, """{"apps":[]}"""), e => e.Path == "/id" && e.Error.Contains("is 64 characters"));
        Assert.Contains(await RefusedAsync(t, HttpMethod.Post, "/v2/groups", $$"""{"id":"/ok","groups":[{"id":"{{long64}}"}]}"""),
            e => e.Path == "/groups(0)/id" && e.Error.Contains("is 64 characters"));
        Assert.Contains(await RefusedAsync(t, HttpMethod.Post, "/v2/groups", $$"""{"id":"/ok","apps":[{{App(long64)}}]}"""),
            e => e.Path == "/apps(0)/id" && e.Error.Contains("is 64 characters"));
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", $$"""{"id":"/ok","apps":[{{App("a")}}]}""")).StatusCode);
    }
}
