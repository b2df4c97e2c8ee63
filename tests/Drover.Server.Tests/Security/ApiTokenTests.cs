using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Drover.Server.Tests.Security;

/// <summary>--api-token: every way a client sends the token, every API's way of refusing, and nothing written on a refusal.</summary>
public sealed class ApiTokenTests
{
    private const string Token = "api-s3cret";
    private const string App = """{"id":"/guarded","cmd":"sleep 100","instances":0}""";

    private static Task<TestServer> StartAsync(bool reads = false) =>
        TestServer.StartAsync(new ServerOptions { ApiToken = Token, ApiTokenForReads = reads });

    private static async Task<HttpResponseMessage> SendAsync(TestServer t, HttpMethod method, string path, string? body = null, Action<HttpRequestHeaders>? auth = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        auth?.Invoke(req.Headers);
        return await t.Http.SendAsync(req);
    }

    private static Action<HttpRequestHeaders> Basic(string user, string password) =>
        h => h.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact(Timeout = 30000)]
    public async Task A_Marathon_write_without_the_token_is_a_401_in_Marathons_shape_and_writes_nothing()
    {
        await using var t = await StartAsync();
        var before = t.StoredFingerprint();

        using var missing = await SendAsync(t, HttpMethod.Post, "/v2/apps", App);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Basic realm=\"Drover\"", missing.Headers.WwwAuthenticate.ToString());
        var body = await TestServer.JsonOf(missing);
        Assert.StartsWith("API token required", body.GetProperty("message").GetString());

        using var wrong = await SendAsync(t, HttpMethod.Post, "/v2/apps", App, h => h.Authorization = new AuthenticationHeaderValue("Bearer", "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Invalid username or password: the API token does not match", (await TestServer.JsonOf(wrong)).GetProperty("message").GetString());

        using var wrongBasic = await SendAsync(t, HttpMethod.Put, "/v2/apps/guarded", App, Basic("admin", "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongBasic.StatusCode);
        Assert.Equal(before, t.StoredFingerprint());
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/guarded")).StatusCode);
    }

    [Theory(Timeout = 30000)]
    [InlineData("bearer")]
    [InlineData("basic-password")]
    [InlineData("marathon-token")]
    [InlineData("consul-header")]
    [InlineData("query")]
    public async Task Each_way_of_sending_the_token_is_accepted(string how)
    {
        await using var t = await StartAsync();
        Action<HttpRequestHeaders>? auth = how switch
        {
            "bearer" => h => h.Authorization = new AuthenticationHeaderValue("Bearer", Token),
            "basic-password" => Basic("anyone", Token),
            "marathon-token" => h => h.TryAddWithoutValidation("Authorization", "token=" + Token),
            "consul-header" => h => h.Add("X-Consul-Token", Token),
            _ => null,
        };
        var path = how == "query" ? "/v2/apps?token=" + Token : "/v2/apps";
        using var resp = await SendAsync(t, HttpMethod.Post, path, App, auth);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task Basic_auth_whose_user_and_password_together_are_the_token_is_accepted()
    {
        // Marathon's --http_credentials user:password: an operator may set the token to exactly that
        await using var t = await TestServer.StartAsync(new ServerOptions { ApiToken = "ops:pa55" });
        using var resp = await SendAsync(t, HttpMethod.Post, "/v2/apps", App, Basic("ops", "pa55"));
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task Reads_stay_open_unless_asked_and_then_need_the_token_too()
    {
        await using (var open = await StartAsync())
        {
            Assert.Equal(HttpStatusCode.OK, (await open.Http.GetAsync("/v2/apps")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await open.Http.GetAsync("/v1/catalog/services")).StatusCode);
        }
        await using var t = await StartAsync(reads: true);
        using var apps = await t.Http.GetAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, apps.StatusCode);
        using var agents = await t.Http.GetAsync("/v1/drover/agents");
        Assert.Equal(HttpStatusCode.Unauthorized, agents.StatusCode);
        Assert.Equal("Bearer realm=\"Drover\"", agents.Headers.WwwAuthenticate.ToString());
        using var catalog = await t.Http.GetAsync("/v1/catalog/services");
        Assert.Equal(HttpStatusCode.Forbidden, catalog.StatusCode);
        using var events = await t.Http.GetAsync("/v2/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
        using var authed = await SendAsync(t, HttpMethod.Get, "/v2/apps", auth: h => h.Authorization = new AuthenticationHeaderValue("Bearer", Token));
        Assert.Equal(HttpStatusCode.OK, authed.StatusCode);

        // open whatever the settings: liveness, the CA certificate, Consul's status, and the agent protocol (join token)
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/ping")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v1/drover/ca")).StatusCode); // open, but no CA without TLS
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/v1/status/leader")).StatusCode);
        Assert.False(string.IsNullOrEmpty(await t.RegisterAgentAsync("agent-without-api-token")));
    }

    [Fact(Timeout = 30000)]
    public async Task Consul_writes_without_the_token_are_refused_as_Consul_does_in_plain_text()
    {
        await using var t = await StartAsync();
        using var missing = await SendAsync(t, HttpMethod.Put, "/v1/kv/config/db", "mysql");
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.StartsWith("text/plain", missing.Content.Headers.ContentType!.ToString());
        Assert.StartsWith("Permission denied", await missing.Content.ReadAsStringAsync());

        using var wrong = await SendAsync(t, HttpMethod.Put, "/v1/kv/config/db", "mysql", h => h.Add("X-Consul-Token", "nope"));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("ACL not found", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v1/kv/config/db")).StatusCode);

        using var ok = await SendAsync(t, HttpMethod.Put, "/v1/kv/config/db?token=" + Token, "mysql");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/v1/kv/config/db")).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task A_GET_that_writes_needs_the_token_even_when_reads_are_open()
    {
        // python3-consul deregisters services and passes TTL checks with GET
        await using var t = await StartAsync();
        using var register = await SendAsync(t, HttpMethod.Put, "/v1/agent/service/register", """{"Name":"redis","ID":"redis1","Port":6379}""",
            h => h.Add("X-Consul-Token", Token));
        Assert.Equal(HttpStatusCode.OK, register.StatusCode);

        using var deregister = await t.Http.GetAsync("/v1/agent/service/deregister/redis1");
        Assert.Equal(HttpStatusCode.Forbidden, deregister.StatusCode);
        var services = await t.Http.GetStringAsync("/v1/agent/services");
        Assert.Contains("redis1", services);
    }
}
