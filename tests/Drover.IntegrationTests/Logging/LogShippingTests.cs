using System.Globalization;
using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Metrics;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// --log-ship with a real server, agent and task, and a json_lines collector in the test (a TcpListener on a free
/// 127.0.0.1 port): lines arrive with the right fields, and a collector that stops reading never holds up the task.
/// </summary>
public sealed class LogShippingTests(ITestOutputHelper output)
{
    private const string Talker = """
        {"id":"/ship/talker","cmd":"i=0; while true; do echo \"out $i \\\"quoted\\\"\"; echo \"err $i\" >&2; i=$((i+1)); sleep 0.2; done","instances":1,"cpus":0.1,"mem":32}
        """;

    // about 1 MiB a second of 1 KiB lines: far more than a collector that does not read can absorb
    private const string Flood = """
        {"id":"/ship/flood","cmd":"pad=$(printf '%01000d' 0); i=0; while true; do j=0; while [ $j -lt 100 ]; do echo \"$i $pad\"; j=$((j+1)); i=$((i+1)); done; sleep 0.1; done","instances":1,"cpus":0.1,"mem":32}
        """;

    [Fact(Timeout = 180_000)]
    public async Task A_tcp_collector_receives_the_tasks_stdout_and_stderr_as_json_lines_with_the_right_fields()
    {
        await using var collector = JsonLinesCollector.Start(reads: true);
        var received = collector.Received;
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--log-ship", collector.Url);
        try
        {
            var started = DateTimeOffset.UtcNow;
            await c.ApplyAsync(Talker);
            var app = await c.WaitForRunningAsync("/ship/talker", 1);
            var taskId = app.Tasks!.Single().Id;

            var lines = await Eventually.GetAsync(() =>
            {
                var parsed = received.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
                return Task.FromResult(parsed.Any(l => l.GetProperty("stream").GetString() == "stdout" && l.GetProperty("line").GetString()!.StartsWith("out 2 ", StringComparison.Ordinal))
                    && parsed.Any(l => l.GetProperty("stream").GetString() == "stderr" && l.GetProperty("line").GetString() == "err 2") ? parsed : null);
            }, TimeSpan.FromSeconds(60), "the collector received stdout and stderr lines", c.Diagnostics);

            foreach (var line in lines)
            {
                Assert.Equal(["app", "task", "host", "stream", "time", "line"], line.EnumerateObject().Select(p => p.Name).ToArray());
                Assert.Equal("/ship/talker", line.GetProperty("app").GetString());
                Assert.Equal(taskId, line.GetProperty("task").GetString());
                Assert.Equal("host-1", line.GetProperty("host").GetString());
                var time = line.GetProperty("time").GetString()!;
                Assert.EndsWith("Z", time);
                var at = DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                Assert.InRange(at, started.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
            }
            // in order per stream, with the quotes the task printed
            var outs = lines.Where(l => l.GetProperty("stream").GetString() == "stdout").Select(l => l.GetProperty("line").GetString()!).Take(3).ToArray();
            Assert.Equal(["out 0 \"quoted\"", "out 1 \"quoted\"", "out 2 \"quoted\""], outs);

            var metrics = await ScrapeAgentAsync(c);
            Assert.True(PrometheusText.Value(metrics, "drover_agent_log_lines_shipped_total") >= 6, metrics);
            Assert.Equal(0, PrometheusText.Value(metrics, "drover_agent_log_lines_dropped_total"));
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_collector_that_stops_reading_does_not_hold_up_the_task_and_drops_are_counted()
    {
        await using var collector = JsonLinesCollector.Start(reads: false);
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--log-ship", collector.Url, "--log-ship-buffer", "100");
        try
        {
            await c.ApplyAsync(Flood);
            var app = await c.WaitForRunningAsync("/ship/flood", 1);
            var task = app.Tasks!.Single();
            var stdout = Path.Combine(c.Sandbox(task.Id), "stdout");

            var metrics = await Eventually.GetAsync(async () =>
            {
                var body = await ScrapeAgentAsync(c);
                return PrometheusText.Value(body, "drover_agent_log_lines_dropped_total") > 0 ? body : null;
            }, TimeSpan.FromSeconds(90), "the agent counted dropped lines", c.Diagnostics);
            var dropped = PrometheusText.Value(metrics, "drover_agent_log_lines_dropped_total")!.Value;
            output.WriteLine($"dropped {dropped}, shipped {PrometheusText.Value(metrics, "drover_agent_log_lines_shipped_total")}");

            // the task keeps printing into its sandbox while nothing is shipped
            var before = LastNumber(stdout);
            await Eventually.AsyncAssert(() => Task.FromResult(LastNumber(stdout) > before + 500), TimeSpan.FromSeconds(60),
                $"the task kept writing its stdout past line {before}", c.Diagnostics);
            await Eventually.AsyncAssert(async () =>
                PrometheusText.Value(await ScrapeAgentAsync(c), "drover_agent_log_lines_dropped_total") > dropped, TimeSpan.FromSeconds(60),
                "the drop counter kept moving", c.Diagnostics);
            var again = await c.Client.GetAppAsync("/ship/flood");
            Assert.Equal(1, again.TasksRunning);
            Assert.Equal(task.Id, again.Tasks!.Single().Id);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_tls_collector_signed_by_a_private_ca_receives_lines_when_the_ca_file_is_given()
    {
        using var certs = TestCertificates.Create();
        using var dir = new TempDir();
        await using var collector = JsonLinesCollector.Start(reads: true, certs.Server);
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--log-ship", collector.Url, "--log-ship-ca-file", certs.WriteCaPem(dir.Combine("ca.pem")));
        try
        {
            Assert.StartsWith("tls://", collector.Url, StringComparison.Ordinal);
            await c.ApplyAsync(Talker);
            await c.WaitForRunningAsync("/ship/talker", 1);
            await Eventually.AsyncAssert(() => Task.FromResult(collector.Received.Any(l => l.Contains("\"line\":\"err 2\"", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), "lines arrive over TLS", c.Diagnostics);
            Assert.Equal(0, collector.FailedHandshakes);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_tls_collector_with_an_untrusted_certificate_is_a_clear_error_and_the_task_runs_on_while_lines_are_dropped()
    {
        using var certs = TestCertificates.Create();
        await using var collector = JsonLinesCollector.Start(reads: true, certs.Server);
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--log-ship", collector.Url, "--log-ship-buffer", "20");
        try
        {
            await c.ApplyAsync(Talker);
            var task = (await c.WaitForRunningAsync("/ship/talker", 1)).Tasks!.Single();
            var agent = c.Agents.Single();
            var error = await Eventually.GetAsync(() => Task.FromResult(agent.Lines.FirstOrDefault(l => l.Text.Contains("TLS with the collector failed", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), "the agent logs why the collector was refused", c.Diagnostics);
            output.WriteLine(error.Text);
            // the leaf alone reaches the agent, so the chain stops short of any root it trusts (PartialChain)
            Assert.Contains("TLS with the collector failed: the collector's certificate (CN=127.0.0.1) is not trusted: PartialChain", error.Text);
            Assert.Contains("trust its CA with --log-ship-ca-file", error.Text);

            var metrics = await Eventually.GetAsync(async () =>
            {
                var body = await ScrapeAgentAsync(c);
                return PrometheusText.Value(body, "drover_agent_log_lines_dropped_total") > 0 ? body : null;
            }, TimeSpan.FromSeconds(60), "lines are dropped while nothing can be shipped", c.Diagnostics);
            var dropped = PrometheusText.Value(metrics, "drover_agent_log_lines_dropped_total")!.Value;
            await Eventually.AsyncAssert(async () => PrometheusText.Value(await ScrapeAgentAsync(c), "drover_agent_log_lines_dropped_total") > dropped,
                TimeSpan.FromSeconds(60), "the drop counter keeps moving", c.Diagnostics);
            // (with TLS 1.3 the collector's side of the handshake completes before the agent refuses the certificate,
            // so the collector sees a connection closed without a line, not a failed handshake)
            Assert.Empty(collector.Received);
            var app = await c.Client.GetAppAsync("/ship/talker");
            Assert.Equal(1, app.TasksRunning);
            Assert.Equal(task.Id, app.Tasks!.Single().Id);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    /// <summary>The line number the flood task wrote last (its lines start with it); -1 when none yet.</summary>
    private static long LastNumber(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var start = Math.Max(0, file.Length - 4096);
        file.Position = start;
        var tail = new byte[file.Length - start];
        file.ReadExactly(tail);
        var lines = System.Text.Encoding.UTF8.GetString(tail).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            if (long.TryParse(lines[i].Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        }
        return -1;
    }

    private static async Task<string> ScrapeAgentAsync(LocalCluster c)
    {
        var endpoint = (await c.Client.GetAgentsAsync()).Agents.Single().Agent.Endpoint!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetStringAsync(new Uri(new Uri(endpoint), "/metrics"));
    }
}
