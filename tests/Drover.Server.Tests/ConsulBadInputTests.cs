using System.Text;

namespace Drover.Server.Tests;

/// <summary>Hostile input on the Consul routes: always a text/plain 4xx (or a success), never a 500, never a partial write.</summary>
public class ConsulBadInputTests
{
    private static readonly string[] Bodies =
    [
        "", "{", "[]", "null", "42", "\"s\"", "{}", "{\"Name\":null}", "{\"Name\":7}", "{\"Name\":\"\"}", "{\"name\":\"x\",\"port\":70000}",
        "{\"name\":\"x\",\"port\":\"80\"}", "{\"name\":\"x\",\"port\":1e40}", "{\"name\":\"x\",\"tags\":\"a\"}", "{\"name\":\"x\",\"tags\":[1]}",
        "{\"name\":\"x\",\"meta\":{\"a\":1}}", "{\"name\":\"x\",\"meta\":{\"bad key\":\"v\"}}", "{\"name\":\"x\",\"check\":[]}",
        "{\"name\":\"x\",\"check\":{}}", "{\"name\":\"x\",\"check\":{\"ttl\":\"soon\"}}", "{\"name\":\"x\",\"check\":{\"ttl\":\"-5s\"}}",
        "{\"name\":\"x\",\"check\":{\"http\":\"not a url\",\"interval\":\"1s\"}}", "{\"name\":\"x\",\"check\":{\"http\":\"http://a\"}}",
        "{\"name\":\"x\",\"check\":{\"tcp\":\"nohost\",\"interval\":\"1s\"}}", "{\"name\":\"x\",\"check\":{\"ttl\":\"1s\",\"http\":\"http://a\",\"interval\":\"1s\"}}",
        "{\"name\":\"x\",\"check\":{\"ttl\":\"1s\",\"status\":\"great\"}}", "{\"name\":\"x\",\"check\":{\"grpc\":\"a:1\",\"interval\":\"1s\"}}",
        "{\"name\":\"x\",\"check\":{\"docker_container_id\":\"abc\",\"shell\":\"sh\",\"script\":\"true\",\"interval\":\"1s\"}}",
        "{\"name\":\"x\",\"check\":{\"args\":[\"/bin/true\"],\"interval\":\"1s\"}}", "{\"name\":\"x\",\"checks\":[null]}",
        "{\"name\":\"x\",\"checks\":[{\"ttl\":\"1s\"},{\"ttl\":\"1s\",\"checkid\":\"service:x:1\"}]}", "{\"name\":\"x\",\"weights\":{\"passing\":0}}",
        "{\"name\":\"x\",\"kind\":\"connect-proxy\"}", "{\"name\":\"x\",\"check\":{\"ttl\":\"1s\",\"header\":{\"a\":1}}}",
        "{\"name\":\"x\",\"check\":{\"ttl\":99999999999999999999}}", "{\"name\":\"x\",\"enabletagoverride\":\"maybe\"}",
        "{\"name\":\"a\\ud800\",\"port\":1}", "{\"name\":\"ok\",\"id\":\"x\\udfff\"}", "{\"id\":\"c1\",\"name\":\"c\\ud800\",\"ttl\":\"10s\"}",
        "{\"\\ud800\":1,\"name\":\"x\"}",
        new string('[', 5000), new string('{', 100), "\u0000\u0001", "{\"name\":\"" + new string('a', 100000) + "\",\"port\":-1}",
    ];

    private static readonly (string Method, string Path)[] Routes =
    [
        ("PUT", "/v1/agent/service/register"), ("PUT", "/v1/agent/check/register"), ("PUT", "/v1/agent/check/update/nope"),
    ];

    [Fact(Timeout = 60000)]
    public async Task No_register_body_produces_a_500_or_a_write()
    {
        await using var c = await ConsulServer.StartAsync();
        var rng = new Random(11);
        var bodies = Bodies.Concat(Enumerable.Range(0, 200).Select(_ => Mutate(Bodies[rng.Next(Bodies.Length)], rng))).ToList();
        foreach (var (method, path) in Routes)
        {
            foreach (var body in bodies)
            {
                var before = c.Writer.Current.Index;
                using var req = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                using var resp = await c.Http.SendAsync(req);
                var status = (int)resp.StatusCode;
                var text = await resp.Content.ReadAsStringAsync();
                Assert.True(status < 500, $"{method} {path} with {Short(body)} gave {status}: {text}");
                Assert.True(resp.Headers.Contains("X-Consul-Index"));
                if (status >= 400)
                {
                    Assert.StartsWith("text/plain", resp.Content.Headers.ContentType?.ToString() ?? "");
                    Assert.False(string.IsNullOrWhiteSpace(text), $"{path} {Short(body)}: empty error");
                    Assert.Equal(before, c.Writer.Current.Index);
                }
            }
        }
    }

    [Theory(Timeout = 30000)]
    [InlineData("/v1/health/service/x?passing=maybe", "Invalid value for ?passing")]
    [InlineData("/v1/health/state/sideways", "Unsupported state")]
    [InlineData("/v1/catalog/services?index=-1", "Invalid index")]
    [InlineData("/v1/catalog/services?index=1&wait=10parsecs", "Invalid wait")]
    [InlineData("/v1/catalog/service/x?node-meta=novalue", "Invalid node-meta")]
    [InlineData("/v1/catalog/nodes?dc=mars", "No path to datacenter")]
    public async Task Bad_queries_are_400_text(string path, string message)
    {
        await using var c = await ConsulServer.StartAsync();
        using var resp = await c.Http.GetAsync(path);
        Assert.Equal(400, (int)resp.StatusCode);
        Assert.StartsWith("text/plain", resp.Content.Headers.ContentType!.ToString());
        Assert.Contains(message, await resp.Content.ReadAsStringAsync());
    }

    [Fact(Timeout = 30000)]
    public async Task Register_errors_name_the_problem()
    {
        await using var c = await ConsulServer.StartAsync();
        async Task<string> Err(string body)
        {
            using var resp = await c.PutAsync("/v1/agent/service/register", body);
            Assert.Equal(400, (int)resp.StatusCode);
            return await resp.Content.ReadAsStringAsync();
        }
        Assert.Contains("Missing service name", await Err("""{"port":1}"""));
        Assert.Contains("Interval must be > 0", await Err("""{"name":"x","check":{"http":"http://a"}}"""));
        Assert.Contains("TTL", await Err("""{"name":"x","check":{}}"""));
        Assert.Contains("Port", await Err("""{"name":"x","port":"eighty"}"""));
        Assert.Contains("Invalid check status", await Err("""{"name":"x","check":{"ttl":"5s","status":"fine"}}"""));
        using var nonTtl = await c.PutAsync("/v1/agent/service/register", """{"name":"h","check":{"tcp":"127.0.0.1:1","interval":"10s"}}""");
        using var pass = await c.PutAsync("/v1/agent/check/pass/service:h");
        Assert.Equal(400, (int)pass.StatusCode);
        Assert.Contains("does not have associated TTL", await pass.Content.ReadAsStringAsync());
    }

    private static string Mutate(string s, Random rng)
    {
        if (s.Length == 0) return "{";
        var chars = s.ToCharArray();
        for (var i = 0; i < 1 + rng.Next(3); i++)
        {
            var at = rng.Next(chars.Length);
            const string alphabet = "{}[]\":,0a-\\ tn";
            chars[at] = alphabet[rng.Next(alphabet.Length)];
        }
        return new string(chars);
    }

    private static string Short(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
