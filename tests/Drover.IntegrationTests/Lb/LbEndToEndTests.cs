using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// The whole load balancer: a real cluster, a real `drover lb` and the HAProxy it runs, on free ports. Requests go
/// through HAProxy to python http apps; the assertions are what a user sees (answers, errors) and HAProxy's own state.
/// </summary>
public sealed class LbEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>Answers every GET with its task id, so a test sees which task served it.</summary>
    private const string EchoPy = """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = os.environ["MESOS_TASK_ID"].encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT0"])), H).serve_forever()
        """;

    internal static string EchoApp(string id, string script, int instances, string labels) => $$"""
        {
          "id": "{{id}}", "cmd": "echo $$ > pid; exec python3 echo.py", "instances": {{instances}}, "cpus": 0.05, "mem": 32,
          "portDefinitions": [{ "port": {{FreePort.Get()}} }],
          "fetch": [{ "uri": "file://{{script}}", "extract": false }],
          "labels": { {{labels}} },
          "healthChecks": [{ "protocol": "HTTP", "path": "/", "gracePeriodSeconds": 10, "intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 2 }]
        }
        """;

    internal static string WriteEcho(TempDir dir)
    {
        var path = dir.Combine("echo.py");
        File.WriteAllText(path, EchoPy);
        return path;
    }

    [Fact(Timeout = 300_000)]
    public async Task PathAndVhostRoutesServeAndAnInvalidLabelLeavesTheRunningConfigAlone()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await using var lb = await DroverLb.StartAsync(c.BaseAddress);
        using var dir = new TempDir("lb-e2e");
        try
        {
            // seed 001's fibonacci behind /services: curl http://lb/services/fibonacci/15 → 610
            var repo = FindRepo();
            using var fib = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "examples", "fibonacci", "fibonacci.json"))
                .Replace("@REPO@", repo).Replace("http://127.0.0.1:8080", c.BaseAddress.ToString().TrimEnd('/')));
            var fibJson = JsonSerializer.Serialize(fib.RootElement)[..^1]
                + $$""", "portDefinitions": [{ "port": {{FreePort.Get()}} }], "labels": { "HAPROXY_0_PATH": "/services", "HAPROXY_0_PATH_STRIP": "true" } }""";
            await c.ApplyAsync(fibJson);
            await c.ApplyAsync(EchoApp("/web", WriteEcho(dir), 1, "\"HAPROXY_0_VHOST\": \"web.example.test\""));
            await c.WaitForRunningAsync("/fibonacci", 3, TimeSpan.FromSeconds(120));
            var web = await c.WaitForRunningAsync("/web", 1);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var answer = await Eventually.GetAsync(async () =>
            {
                var r = await http.GetAsync($"http://127.0.0.1:{lb.HttpPort}/services/fibonacci/15");
                return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
            }, Converge, "the lb routes /services/fibonacci/15", () => lb.Process.FormatOutput(60));
            Assert.Equal("610", answer);

            var vhost = await Eventually.GetAsync(async () =>
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{lb.HttpPort}/anything") { Headers = { Host = "web.example.test" } };
                var r = await http.SendAsync(req);
                return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
            }, Converge, "the lb routes the vhost", () => lb.Process.FormatOutput(60));
            Assert.Equal(web.Tasks![0].Id, vhost);
            // another host name matches no route: HAProxy's own 503, not some app
            using (var other = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{lb.HttpPort}/anything") { Headers = { Host = "other.example.test" } })
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.SendAsync(other)).StatusCode);

            // a bad label is refused at submit, and nothing reaches HAProxy
            var before = await File.ReadAllTextAsync(lb.ConfigPath);
            var reloads = (await lb.StatusAsync()).Counters.Reloads;
            using var bad = JsonDocument.Parse(EchoApp("/web", WriteEcho(dir), 1, "\"HAPROXY_0_VHOST\": \"web.example.test\", \"HAPROXY_0_MODE\": \"udp\""));
            var refused = await Assert.ThrowsAsync<DroverApiException>(() => c.Client.PutAppAsync("/web", bad.RootElement));
            Assert.Equal((HttpStatusCode)422, refused.Status);
            Assert.Contains("HAPROXY_0_MODE", refused.Message + string.Join(" ", refused.Details.Select(d => d.Path + " " + string.Join(" ", d.Errors))));
            Assert.Equal(before, await File.ReadAllTextAsync(lb.ConfigPath));
            Assert.Equal(reloads, (await lb.StatusAsync()).Counters.Reloads);
            Assert.Equal("610", await http.GetStringAsync($"http://127.0.0.1:{lb.HttpPort}/services/fibonacci/15"));

            // drover lb status tells the backends and their servers
            var status = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(30), "lb", "status", "--status-listen", $"127.0.0.1:{lb.StatusPort}");
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains("fibonacci_0", status.Stdout);
            Assert.Contains("web_0", status.Stdout);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(lb.Process.FormatOutput(120));
            throw;
        }
    }

    [Fact(Timeout = 400_000)]
    public async Task ScalingUnderLoadLosesNoRequestAndAKilledTaskIsTakenOutAndReplaced()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await using var lb = await DroverLb.StartAsync(c.BaseAddress);
        using var dir = new TempDir("lb-e2e");
        try
        {
            await c.ApplyAsync(EchoApp("/echo", WriteEcho(dir), 2, "\"HAPROXY_0_VHOST\": \"echo.test\""));
            await c.WaitForRunningAsync("/echo", 2);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("echo_0")).Count == 2, Converge, "2 servers in HAProxy");

            await using var load = new VhostLoad(lb.HttpPort, "echo.test", 4);

            await c.Client.ScaleAppAsync("/echo", 5);
            var five = await c.WaitForRunningAsync("/echo", 5);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("echo_0")).Count == 5, Converge, "5 servers in HAProxy");
            await Eventually.AsyncAssert(() => Task.FromResult(five.Tasks!.All(t => load.Served.ContainsKey(t.Id))), Converge, "every one of the 5 tasks served requests");
            await c.Client.ScaleAppAsync("/echo", 1);
            var one = await c.WaitForRunningAsync("/echo", 1);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("echo_0")).Count == 1, Converge, "1 server in HAProxy");
            await load.StopAsync();
            output.WriteLine($"{load.Requests} requests through scale 2→5→1, {load.Failures.Count} failed");
            Assert.True(load.Failures.IsEmpty, $"{load.Failures.Count} of {load.Requests} requests failed: {string.Join("; ", load.Failures.Take(5))}");
            Assert.True(load.Requests > 100, $"only {load.Requests} requests went through");

            // kill -9 the last task: HAProxy stops sending to it, and its replacement joins
            var victim = one.Tasks![0];
            ClusterTests.KillProcess(int.Parse(File.ReadAllText(Path.Combine(c.Sandbox(victim.Id), "pid")).Trim()));
            await Eventually.AsyncAssert(async () =>
            {
                var live = await lb.LiveServersAsync("echo_0");
                // (the replacement may well get the same host port: the server name, from the task id, tells them apart)
                return live.Count == 1 && live[0].Name != Drover.Lb.Model.Names.Server(victim.Id);
            }, Converge, "the killed task's server is gone and the replacement serves", () => lb.Process.FormatOutput(60));
            using var after = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{lb.HttpPort}/") { Headers = { Host = "echo.test" } };
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            Assert.NotEqual(victim.Id, await (await http.SendAsync(after)).Content.ReadAsStringAsync());
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(lb.Process.FormatOutput(120));
            throw;
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task WithTheServerGoneHaproxyKeepsServingTheLastGoodSet()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await using var lb = await DroverLb.StartAsync(c.BaseAddress);
        using var dir = new TempDir("lb-e2e");
        try
        {
            await c.ApplyAsync(EchoApp("/keep", WriteEcho(dir), 2, "\"HAPROXY_0_PATH\": \"/keep\""));
            await c.WaitForRunningAsync("/keep", 2);
            await Eventually.AsyncAssert(async () => (await lb.LiveServersAsync("keep_0")).Count == 2, Converge, "2 servers in HAProxy");
            await Eventually.AsyncAssert(async () => (await c.Client.GetLbInstancesAsync()).Instances.Any(i => i.Live && i.AppliedIndex > 0),
                Converge, "the lb registered with its applied index");

            await c.Server.KillAsync(UnixSignal.Kill);
            await Eventually.AsyncAssert(async () => !(await lb.StatusAsync()).ServerReachable, Converge, "the lb notices the server is gone");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            for (var i = 0; i < 40; i++)
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{lb.HttpPort}/keep/x")).StatusCode);
            Assert.Equal(2, (await lb.LiveServersAsync("keep_0")).Count);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(lb.Process.FormatOutput(120));
            throw;
        }
        finally
        {
            // so the cluster's cleanup can stop the tasks through the API
            if (c.Server.HasExited) await c.RestartServerAsync();
        }
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Drover.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Drover.slnx) not found above the test binaries");
    }
}
