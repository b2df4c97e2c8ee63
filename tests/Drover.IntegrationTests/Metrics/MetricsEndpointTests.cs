using System.Net;
using System.Net.Http.Headers;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Metrics;

/// <summary>/metrics on a real server and agent: counters move as an app fails and another runs healthy, and promtool accepts both bodies.</summary>
public sealed class MetricsEndpointTests(ITestOutputHelper output)
{
    private const string Failing = """{"id":"/metrics/crash","cmd":"echo about to fail >&2; exit 3","instances":1,"cpus":0.1,"mem":16}""";

    private const string Healthy = """
        {"id":"/metrics/sleeper","cmd":"exec sleep 600","instances":1,"cpus":0.1,"mem":16,
         "healthChecks":[{"protocol":"COMMAND","command":{"value":"true"},"gracePeriodSeconds":30,"intervalSeconds":1,"timeoutSeconds":5}]}
        """;

    [Fact(Timeout = 180_000)]
    public async Task Server_and_agent_metrics_move_as_an_app_fails_and_promtool_accepts_them()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var before = await ScrapeAsync(http, new Uri(c.BaseAddress, "/metrics"));
            var writesBefore = PrometheusText.Value(before, "drover_store_writes_total{store=\"sqlite\"}") ?? 0;

            await c.ApplyAsync(Failing);
            await c.ApplyAsync(Healthy);
            var dnsPort = await c.DnsPortAsync();
            var dig = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", dnsPort.ToString(), "drover", "SOA", "+tries=3", "+time=2"], TimeSpan.FromSeconds(30));
            Assert.True(dig.Succeeded, dig.ToString());

            var server = await Eventually.GetAsync(async () =>
            {
                var body = await ScrapeAsync(http, new Uri(c.BaseAddress, "/metrics"));
                // the failing app has been placed, failed and placed again, and a deployment has ended: the sleeper's,
                // once its health check passed (the crash app's only if a pass saw its task in the milliseconds it ran)
                return PrometheusText.Value(body, "drover_scheduler_placements_total") >= 3
                    && PrometheusText.Value(body, "drover_deployments_finished_total{result=\"succeeded\"}") >= 1 ? body : null;
            }, TimeSpan.FromSeconds(90), "the server placed the failing app again and a deployment succeeded", c.Diagnostics);
            AtLeast(server, "drover_store_writes_total{store=\"sqlite\"}", writesBefore + 1);
            AtLeast(server, "drover_store_write_duration_seconds_count{store=\"sqlite\"}", 1);
            AtLeast(server, "drover_http_request_duration_seconds_count{route=\"apps\",status=\"2xx\"}", 2);
            Assert.True(PrometheusText.Sum(server, "drover_http_request_duration_seconds_count", "route=\"agents\"") > 0);
            AtLeast(server, "drover_reconcile_duration_seconds_count", 1);
            Assert.Equal(1, PrometheusText.Value(server, "drover_agents{state=\"active\"}"));
            Assert.Equal(0, PrometheusText.Value(server, "drover_agents{state=\"unreachable\"}"));
            Assert.Equal(1, PrometheusText.Value(server, "drover_leader"));
            Assert.Equal(0, PrometheusText.Value(server, "drover_store_stale"));
            // the zone's own SOA: answered from memory, never forwarded
            AtLeast(server, "drover_dns_queries_total{qtype=\"SOA\",rcode=\"NOERROR\"}", 1);
            AtLeast(server, "drover_dns_query_duration_seconds_count{forwarded=\"false\"}", 1);
            AtLeast(server, "drover_deployments_finished_total{result=\"succeeded\"}", 1);
            AtLeast(server, "drover_deployment_duration_seconds_count{result=\"succeeded\"}", 1);
            Assert.NotNull(PrometheusText.Value(server, "drover_deployments_running"));
            Assert.NotNull(PrometheusText.Value(server, "drover_scheduler_unplaced_instances{reason=\"Backoff\"}"));
            await PrometheusText.CheckWithPromtoolAsync(server, "server");

            var agentEndpoint = (await c.Client.GetAgentsAsync()).Agents.Single().Agent.Endpoint;
            Assert.NotNull(agentEndpoint);
            var agentMetrics = new Uri(new Uri(agentEndpoint!), "/metrics");
            var agent = await Eventually.GetAsync(async () =>
            {
                var body = await ScrapeAsync(http, agentMetrics); // no join secret: Prometheus scrapes agents without it
                return PrometheusText.Value(body, "drover_agent_tasks_ended_total{state=\"failed\"}") >= 2
                    && PrometheusText.Value(body, "drover_agent_health_probe_results_total{status=\"passing\"}") >= 1
                    && PrometheusText.Value(body, "drover_agent_tasks{state=\"running\"}") >= 1 ? body : null;
            }, TimeSpan.FromSeconds(90), "the agent counted failures and a passing probe", c.Diagnostics);
            AtLeast(agent, "drover_agent_task_launches_total", 3);
            output.WriteLine(agent);
            await PrometheusText.CheckWithPromtoolAsync(agent, "agent");
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task With_api_token_reads_metrics_needs_the_token_as_other_reads_do()
    {
        const string Token = "metrics-scrape-token";
        await using var c = await LocalCluster.StartAsync(agents: 0, apiToken: Token, serverArgs: "--api-token-reads");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var url = new Uri(c.BaseAddress, "/metrics");
        using (var refused = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("API token required", await refused.Content.ReadAsStringAsync());
        }
        using var withToken = new HttpRequestMessage(HttpMethod.Get, url);
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token); // as Prometheus's authorization.credentials sends it
        using var ok = await http.SendAsync(withToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("drover_http_request_duration_seconds_bucket{route=\"other\",status=\"4xx\",le=\"+Inf\"} 1", await ok.Content.ReadAsStringAsync());
    }

    /// <summary>Fails naming the series and showing every sample of its metric, so a failure says what the scrape held.</summary>
    private static void AtLeast(string body, string series, double min)
    {
        var value = PrometheusText.Value(body, series);
        var name = series.Split('{')[0];
        Assert.True(value >= min, $"{series} is {value?.ToString() ?? "absent"}, expected at least {min}; the scrape has:\n"
            + string.Join('\n', body.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))));
    }

    private static async Task<string> ScrapeAsync(HttpClient http, Uri url)
    {
        using var res = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", res.Content.Headers.ContentType?.ToString());
        return await res.Content.ReadAsStringAsync();
    }
}
