using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;
using Drover.Lb.Model;
using Drover.Lb.Nginx;
using Drover.Lb.Planning;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// A real Nginx run by <see cref="NginxSupervisor"/> (foreground child, temp prefix, free ports) in front of python
/// http.server backends: its upstream follows a scale from 2 to 3 instances, a path route strips its prefix, an
/// unchanged config is not reloaded, and a config Nginx refuses leaves the running one serving.
/// </summary>
public sealed class NginxFollowsAScaleTests
{
    private static readonly AppDefinition App = new()
    {
        Id = "/fib", Cmd = "x", Version = "2024-01-01T00:00:00.000Z",
        PortDefinitions = [new PortDefinition { Port = 0 }],
        Labels = new Dictionary<string, string> { ["HAPROXY_0_PATH"] = "/services/fibonacci", ["HAPROXY_0_PATH_STRIP"] = "true" },
    };

    [Fact(Timeout = 180000)]
    public async Task UpstreamsFollowAScaleFromTwoToThree()
    {
        using var dir = new TempDir("lb-nginx");
        var lbPort = FreePort.Get();
        var settings = new NginxSettings { Prefix = dir.CreateSubdirectory("prefix"), BindAddress = "127.0.0.1", HttpPort = lbPort };
        var backends = new List<(string Name, int Port, DroverProcess Process)>();
        await using var nginx = new NginxSupervisor(dir.Combine("nginx.conf"), settings);
        try
        {
            foreach (var name in new[] { "b1", "b2", "b3" })
            {
                var root = dir.CreateSubdirectory(name);
                await File.WriteAllTextAsync(Path.Combine(root, "15"), $"610 from {name}");
                var port = FreePort.Get();
                backends.Add((name, port, DroverProcess.StartExecutable("/usr/bin/python3", ["-m", "http.server", port.ToString(), "--bind", "127.0.0.1", "--directory", root])));
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (var b in backends)
                await Eventually.AsyncAssert(async () => (await http.GetAsync($"http://127.0.0.1:{b.Port}/15")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
                    $"backend {b.Name} serves", () => b.Process.FormatOutput());

            LbConfig Scaled(int n) => DesiredState.Build([App], backends.Take(n).Select(b => Task(b.Name, b.Port)).ToList(), "external", LbConfig.Empty).Config;
            var url = $"http://127.0.0.1:{lbPort}/services/fibonacci/15";
            async Task<HashSet<string>> AnswersAsync()
            {
                var seen = new HashSet<string>();
                for (var i = 0; i < 12; i++)
                {
                    var r = await http.GetAsync(url);
                    if (r.IsSuccessStatusCode) seen.Add(await r.Content.ReadAsStringAsync());
                }
                return seen;
            }

            var first = await nginx.ApplyAsync(Scaled(2));
            Assert.Equal(new NginxApplyResult(NginxWriteOutcome.Written, Reloaded: false, Started: true), first);
            await Eventually.AsyncAssert(async () => (await AnswersAsync()).SetEquals(["610 from b1", "610 from b2"]), TimeSpan.FromSeconds(30),
                "nginx balances over the 2 instances, prefix stripped", () => nginx.Output);

            Assert.Equal(new NginxApplyResult(NginxWriteOutcome.Unchanged, false, false), await nginx.ApplyAsync(Scaled(2)));
            Assert.Equal(0, nginx.Reloads);
            var pid = nginx.Pid;

            Assert.Equal(new NginxApplyResult(NginxWriteOutcome.Written, Reloaded: true, Started: false), await nginx.ApplyAsync(Scaled(3)));
            await Eventually.AsyncAssert(async () => (await AnswersAsync()).SetEquals(["610 from b1", "610 from b2", "610 from b3"]), TimeSpan.FromSeconds(30),
                "after the reload nginx balances over the 3 instances", () => nginx.Output);
            Assert.Equal(pid, nginx.Pid); // reloaded in place, not restarted
            Assert.Contains($"upstream fib_0 {{\n        server 127.0.0.1:{backends[0].Port};\n        server 127.0.0.1:{backends[1].Port};\n        server 127.0.0.1:{backends[2].Port};",
                await File.ReadAllTextAsync(nginx.ConfigPath));

            // Scale to 0: the route answers 503 rather than Nginx refusing an upstream without servers.
            Assert.True((await nginx.ApplyAsync(Scaled(0))).Reloaded);
            await Eventually.AsyncAssert(async () => (int)(await http.GetAsync(url)).StatusCode == 503, TimeSpan.FromSeconds(30), "no instances → 503", () => nginx.Output);
        }
        finally
        {
            foreach (var b in backends) await b.Process.DisposeAsync();
        }
    }

    private static TaskRecord Task(string id, int port) => new()
    {
        Id = "fib." + id, AppId = "/fib", AgentId = "a", Host = "127.0.0.1", State = TaskState.Running,
        Version = App.Version!, StagedAt = App.Version!, Ports = [port],
    };
}
