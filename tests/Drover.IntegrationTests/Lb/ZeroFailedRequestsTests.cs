using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// Issue 9's promise: no request through the lb fails while an app is redeployed or scaled down under load. A real
/// server, agent and `drover lb` (HAProxy); 4 python instances with a Marathon HTTP health check; keep-alive clients
/// and new-connection-per-request clients (<see cref="RawHttpLoad"/>, which never retries) count every non-2xx answer
/// and every connection error.
/// </summary>
public sealed class ZeroFailedRequestsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);

    /// <summary>Answers every GET with "VERSION task-id", so the load sees which version and task served it.</summary>
    private const string VersionedEchoPy = """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = (os.environ.get("VERSION", "?") + " " + os.environ["MESOS_TASK_ID"]).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT0"])), H).serve_forever()
        """;

    private static string App(string script, int servicePort, string version, double minimumHealthCapacity, double maximumOverCapacity) => $$"""
        {
          "id": "/zero", "cmd": "exec python3 echo.py", "instances": 4, "cpus": 0.1, "mem": 32,
          "env": { "VERSION": "{{version}}" },
          "portDefinitions": [{ "port": {{servicePort}} }],
          "fetch": [{ "uri": "file://{{script}}", "extract": false }],
          "labels": { "HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "zero.test" },
          "upgradeStrategy": { "minimumHealthCapacity": {{minimumHealthCapacity}}, "maximumOverCapacity": {{maximumOverCapacity}} },
          "healthChecks": [{ "protocol": "HTTP", "path": "/", "gracePeriodSeconds": 15, "intervalSeconds": 1, "timeoutSeconds": 3, "maxConsecutiveFailures": 3 }]
        }
        """;

    [Fact(Timeout = 600_000)]
    public async Task RollingDeploymentsAndAScaleDownUnderLoadFailNoRequest()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await using var lb = await DroverLb.StartAsync(c.BaseAddress);
        using var dir = new TempDir("lb-zero");
        var script = dir.Combine("echo.py");
        await File.WriteAllTextAsync(script, VersionedEchoPy);
        var servicePort = FreePort.Get();
        try
        {
            await c.ApplyAsync(App(script, servicePort, "v1", 1, 1));
            await c.WaitForRunningAsync("/zero", 4, Converge);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("zero_0")).Count == 4, Converge, "4 servers in HAProxy");

            await using var keepAlive = new RawHttpLoad(lb.HttpPort, "zero.test", clients: 3, keepAlive: true);
            await using var perRequest = new RawHttpLoad(lb.HttpPort, "zero.test", clients: 2, keepAlive: false);
            await Eventually.AsyncAssert(() => Task.FromResult(keepAlive.Succeeded > 50 && perRequest.Succeeded > 50), Converge, "the load runs");

            // Marathon's zero-downtime recipe: never below 4 healthy, one extra instance at a time.
            await DeployAsync(c, lb, App(script, servicePort, "v2", 1, 0.25), "v2", keepAlive, perRequest);
            // The harsh one: half the old instances are killed before any new one starts (capacity drops, requests must not).
            await DeployAsync(c, lb, App(script, servicePort, "v3", 0.5, 0), "v3", keepAlive, perRequest);

            var before = keepAlive.Succeeded + perRequest.Succeeded;
            await c.Client.ScaleAppAsync("/zero", 1);
            await c.WaitForRunningAsync("/zero", 1, Converge);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("zero_0")).Count == 1, Converge, "1 server in HAProxy");
            await Eventually.AsyncAssert(() => Task.FromResult(keepAlive.Succeeded + perRequest.Succeeded > before + 100), Converge, "the load goes on after the scale-down");

            output.WriteLine(keepAlive.Summary("keep-alive clients"));
            output.WriteLine(perRequest.Summary("new connection per request"));
            Assert.True(keepAlive.Failures.IsEmpty, keepAlive.Summary("keep-alive clients"));
            Assert.True(perRequest.Failures.IsEmpty, perRequest.Summary("new connection per request"));
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(lb.Process.FormatOutput(120));
            throw;
        }
    }

    /// <summary>Applies a new version, waits for its deployment to finish, and checks the load reached only new tasks afterwards.</summary>
    private async Task DeployAsync(LocalCluster c, DroverLb lb, string json, string version, RawHttpLoad keepAlive, RawHttpLoad perRequest)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await c.ApplyAsync(json);
        var app = await c.WaitForRunningAsync("/zero", 4, TimeSpan.FromSeconds(180));
        Assert.All(app.Tasks!, t => Assert.Equal(app.Version, t.Version));
        await Eventually.AsyncAssert(async () =>
        {
            var live = await lb.LiveServersAsync("zero_0");
            return live.Count == 4 && live.All(s => app.Tasks!.Any(t => Drover.Lb.Model.Names.Server(t.Id) == s.Name));
        }, Converge, $"HAProxy serves exactly the 4 {version} tasks");
        // Every new task serves: the bodies name them.
        await Eventually.AsyncAssert(() => Task.FromResult(app.Tasks!.All(t =>
                keepAlive.Bodies.ContainsKey($"{version} {t.Id}") || perRequest.Bodies.ContainsKey($"{version} {t.Id}"))),
            Converge, $"traffic reaches every {version} task");
        output.WriteLine($"deployment of {version} done in {clock.Elapsed.TotalSeconds:0.0} s; {keepAlive.Summary("keep-alive")}; {perRequest.Summary("per request")}");
    }
}
