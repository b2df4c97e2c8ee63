using System.Net;

namespace Drover.Server.Tests;

/// <summary>A bad routing label is refused at submit time with a 422 naming the label, on create and on update, and nothing is written.</summary>
public class LbLabelValidationTests
{
    [Fact(Timeout = 30000)]
    public async Task BadRoutingLabelIs422NamingTheLabel()
    {
        await using var t = await TestServer.StartAsync();
        var bad = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/web","cmd":"x","portDefinitions":[{"port":0}],"labels":{"HAPROXY_0_MODE":"udp"}}""");
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        var detail = Assert.Single((await TestServer.JsonOf(bad)).GetProperty("details").EnumerateArray());
        Assert.Equal("/labels/HAPROXY_0_MODE", detail.GetProperty("path").GetString());
        Assert.Equal("HAPROXY_0_MODE: must be http or tcp, got 'udp'", detail.GetProperty("errors")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync("/v2/apps/web")).StatusCode);

        var good = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps",
            """{"id":"/web","cmd":"x","portDefinitions":[{"port":0}],"labels":{"HAPROXY_0_VHOST":"web.example.com","HAPROXY_0_PATH":"/web"}}""");
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);

        var update = await t.SendJsonAsync(HttpMethod.Put, "/v2/apps/web",
            """{"cmd":"x","portDefinitions":[{"port":0}],"labels":{"HAPROXY_0_BALANCE":"static-rr"}}""");
        Assert.Equal((HttpStatusCode)422, update.StatusCode);
        Assert.Contains("HAPROXY_0_BALANCE: must be one of roundrobin", await update.Content.ReadAsStringAsync());
        var app = await TestServer.JsonOf(await t.Http.GetAsync("/v2/apps/web"));
        Assert.Equal("web.example.com", app.GetProperty("app").GetProperty("labels").GetProperty("HAPROXY_0_VHOST").GetString());
    }
}
