using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>
/// The Consul-compatible API against real clients: Debian's python3-consul 0.7.1 and the drover CLI, on a real
/// server with a real agent, so app tasks show up as services next to an externally registered one.
/// </summary>
public sealed class ConsulClientTests(ITestOutputHelper output)
{
    private const string WebApp = """
        {"id":"/it/consul-web","cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":1,"cpus":0.1,"mem":64,
         "labels":{"DROVER_TAGS":"web,v1"},
         "healthChecks":[{"protocol":"HTTP","path":"/","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":3}]}
        """;

    [Fact(Timeout = 240_000)]
    public async Task Python_consul_client_and_cli_work_against_the_server()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        try
        {
            await c.ApplyAsync(WebApp);
            await c.WaitForRunningAsync("/it/consul-web", 1);
            var entries = await Eventually.GetAsync(async () =>
            {
                var list = await c.Client.GetHealthServiceAsync("consul-web-it", passing: true);
                return list.Count == 1 ? list : null;
            }, TimeSpan.FromSeconds(60), "the app task is a passing instance of consul-web-it", c.Diagnostics);
            Assert.Equal(["web", "v1"], entries![0].Service.Tags);
            Assert.Equal("host-1", entries[0].Node.Node);

            var result = await PythonClient.RunAsync("consul_client_check.py", TimeSpan.FromMinutes(3),
                "127.0.0.1", c.BaseAddress.Port.ToString(), "--app-service", "consul-web-it", "--timeout", "60");
            output.WriteLine(result.ToString());
            Assert.True(result.Succeeded, result + "\n" + c.Diagnostics());
            Assert.Contains("ALL OK", result.Stdout);

            await CliAsync(c);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private async Task CliAsync(LocalCluster c)
    {
        var server = c.BaseAddress.ToString();
        async Task<ProcessResult> Run(params string[] args)
        {
            var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), [.. args, "--server", server]);
            output.WriteLine($"drover {string.Join(' ', args)}: {r}");
            return r;
        }

        using var dir = new TempDir("consul-cli");
        var file = dir.Combine("svc.json");
        await File.WriteAllTextAsync(file, """{"service":{"name":"mysql","id":"mysql1","port":3306,"tags":["master"],"check":{"ttl":"30s","status":"passing"}}}""");
        Assert.True((await Run("service", "register", "-f", file)).Succeeded);
        var services = await Run("services");
        Assert.True(services.Succeeded);
        Assert.Contains(services.Stdout.Split('\n'), l => l.StartsWith("mysql ", StringComparison.Ordinal) && l.Contains("master"));
        Assert.Contains(services.Stdout.Split('\n'), l => l.StartsWith("consul-web-it ", StringComparison.Ordinal));

        Assert.True((await Run("kv", "put", "cfg/db", "mysql.service.drover:3306")).Succeeded);
        var get = await Run("kv", "get", "cfg/db");
        Assert.Equal("mysql.service.drover:3306", get.Stdout.Trim());
        var cas = await Run("kv", "put", "cfg/db", "other", "--cas", "0");
        Assert.Equal(1, cas.ExitCode);
        Assert.True((await Run("kv", "rm", "cfg/", "--recurse")).Succeeded);
        Assert.Equal(1, (await Run("kv", "get", "cfg/db")).ExitCode);

        // runtime tags of an app task
        var task = (await c.Client.ListTasksAsync("/it/consul-web")).Single();
        var tags = await Run("service", "tags", task.Id, "master");
        Assert.True(tags.Succeeded);
        var masters = await c.Client.GetCatalogServiceAsync("consul-web-it", "master");
        Assert.Equal(task.Id, masters.Single().ServiceId);
        Assert.True((await Run("service", "untag", task.Id)).Succeeded);

        var json = await Run("services", "mysql", "--output", "json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("mysql1", doc.RootElement[0].GetProperty("Service").GetProperty("ID").GetString());
        Assert.True((await Run("service", "deregister", "mysql1")).Succeeded);
        Assert.Empty(await c.Client.GetCatalogServiceAsync("mysql"));
    }
}
