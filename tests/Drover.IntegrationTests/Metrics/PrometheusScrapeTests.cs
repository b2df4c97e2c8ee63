using System.Globalization;
using System.Text.Json.Nodes;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Metrics;

/// <summary>
/// A real Prometheus (Debian's) scrapes a real server and agent, and finds the tasks of a labelled app through its own
/// Marathon discovery (<c>marathon_sd_configs</c>), with the scrape config the README gives, following a scale.
/// </summary>
public sealed class PrometheusScrapeTests(ITestOutputHelper output)
{
    private const string Prometheus = "/usr/bin/prometheus";

    // A task exporting one series on its first port, the way an app's /metrics would.
    private const string Exporter = """
        {"id":"/prom/exporter","instances":1,"cpus":0.1,"mem":32,"labels":{"PROMETHEUS_SCRAPE":"true"},
         "cmd":"mkdir -p m && printf 'demo_requests_total{path=\"/\"} 42\\n' > m/metrics && cd m && exec python3 -m http.server $PORT0 --bind 127.0.0.1",
         "portDefinitions":[{"port":0,"name":"metrics"}]}
        """;

    // Running but not labelled: the README's relabelling keeps it out.
    private const string Unlabelled = """{"id":"/prom/quiet","instances":1,"cpus":0.1,"mem":16,"cmd":"exec sleep 600","portDefinitions":[{"port":0}]}""";

    [Fact(Timeout = 240_000)]
    public async Task Prometheus_scrapes_drover_and_discovers_the_labelled_tasks_through_marathon_sd()
    {
        Assert.True(File.Exists(Prometheus), $"{Prometheus} is missing: install Debian's prometheus package (./test.sh does)");
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var dir = new TempDir("prometheus");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var agentEndpoint = new Uri((await c.Client.GetAgentsAsync()).Agents.Single().Agent.Endpoint!);
        await c.ApplyAsync(Exporter);
        await c.ApplyAsync(Unlabelled);

        var port = FreePort.Get();
        File.WriteAllText(dir.Combine("prometheus.yml"), Config(c.BaseAddress, agentEndpoint));
        await using var prometheus = DroverProcess.StartExecutable(Prometheus,
        [
            "--config.file=" + dir.Combine("prometheus.yml"), "--storage.tsdb.path=" + dir.Combine("data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
        ], new ProcessOptions { Name = "prometheus" });
        var api = new Uri($"http://127.0.0.1:{port}/api/v1/");
        var lastTargets = "";
        string Diagnostics() => $"{c.Diagnostics()}\n--- prometheus targets\n{lastTargets}\n--- prometheus\n{prometheus.FormatOutput(60)}";
        try
        {
            // every job has its targets up: Drover's server and agent, and one task found through Drover's /v2/apps
            var targets = await Eventually.GetAsync(async () =>
            {
                var active = await ActiveTargetsAsync(http, api);
                lastTargets = string.Join('\n', active);
                return active.Count(t => t.Job == "drover-tasks") == 1 && active.All(t => t.Health == "up") && active.Count == 3 ? active : null;
            }, TimeSpan.FromSeconds(120), "Prometheus has the server, the agent and the exporter task up", Diagnostics);
            var task = targets.Single(t => t.Job == "drover-tasks");
            Assert.Equal("/prom/exporter", task.Labels["app"]);
            // the task and its first port, as Drover's /v2/apps gave them
            var taskId = task.Discovered["__meta_marathon_task"]!.GetValue<string>();
            var listed = Assert.Single(await c.Client.ListTasksAsync("/prom/exporter"), t => t.Id == taskId);
            Assert.Equal($"127.0.0.1:{listed.Ports[0]}", task.Labels["instance"]);

            // what it scraped: Drover's own series, and the task's
            Assert.Equal("1", await QueryAsync(http, api, "drover_leader"));
            Assert.Equal("42", await QueryAsync(http, api, "demo_requests_total{app=\"/prom/exporter\"}"));
            Assert.Equal("1", await QueryAsync(http, api, "up{job=\"drover-agent\"}"));

            // discovery follows a scale
            await c.Client.ScaleAppAsync("/prom/exporter", 2);
            await Eventually.AsyncAssert(async () =>
            {
                var active = await ActiveTargetsAsync(http, api);
                return active.Count(t => t.Job == "drover-tasks" && t.Health == "up") == 2;
            }, TimeSpan.FromSeconds(120), "Prometheus scrapes both exporter tasks after the scale", Diagnostics);
            Assert.Equal("84", await QueryAsync(http, api, "sum(demo_requests_total)"));
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
    }

    /// <summary>
    /// The README's scrape config, with short intervals. The test's agents are named host-N (what Drover reports as
    /// the tasks' host) but all run on 127.0.0.1, so one extra rule points the discovered address there.
    /// </summary>
    private static string Config(Uri server, Uri agent) => $"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: drover-server
            static_configs:
              - targets: ['{server.Authority}']
          - job_name: drover-agent
            static_configs:
              - targets: ['{agent.Authority}']
          - job_name: drover-tasks
            marathon_sd_configs:
              - servers: ['{server.GetLeftPart(UriPartial.Authority)}']
                refresh_interval: 1s
            relabel_configs:
              - source_labels: [__meta_marathon_app_label_PROMETHEUS_SCRAPE]
                regex: 'true'
                action: keep
              - source_labels: [__meta_marathon_port_index]
                regex: '0'
                action: keep
              - source_labels: [__meta_marathon_app]
                target_label: app
              - source_labels: [__address__]
                regex: '[^:]+:(\d+)'
                replacement: '127.0.0.1:$1'
                target_label: __address__
        """;

    private sealed record Target(string Job, string Health, IReadOnlyDictionary<string, string> Labels, JsonObject Discovered, string? LastError)
    {
        public override string ToString() => $"{Job} {Labels.GetValueOrDefault("instance")} {Health} {LastError}";
    }

    private static async Task<IReadOnlyList<Target>> ActiveTargetsAsync(HttpClient http, Uri api)
    {
        JsonNode? doc;
        try
        {
            doc = JsonNode.Parse(await http.GetStringAsync(new Uri(api, "targets?state=active")));
        }
        catch (HttpRequestException)
        {
            return []; // not listening yet
        }
        return [.. doc!["data"]!["activeTargets"]!.AsArray().Select(t => new Target(
            t!["labels"]!["job"]!.GetValue<string>(), t["health"]!.GetValue<string>(),
            t["labels"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()),
            t["discoveredLabels"]!.AsObject(), t["lastError"]?.GetValue<string>()))];
    }

    /// <summary>The single value of an instant query, once it has one.</summary>
    private static Task<string> QueryAsync(HttpClient http, Uri api, string query) =>
        Eventually.GetAsync(async () =>
        {
            var doc = JsonNode.Parse(await http.GetStringAsync(new Uri(api, "query?query=" + Uri.EscapeDataString(query))));
            var result = doc!["data"]!["result"]!.AsArray();
            return result.Count == 1 ? result[0]!["value"]![1]!.GetValue<string>() : null;
        }, TimeSpan.FromSeconds(60), $"Prometheus answers {query}");
}
