using System.Text.Json;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// --log-format json on a real server and agent: every line either writes to standard output is one JSON object with
/// the time, level, category and message (structured fields under State), so a collector can read it as json_lines;
/// their startup lines go to standard error.
/// </summary>
public sealed class JsonLogFormatTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task Every_stdout_line_of_server_and_agent_is_a_json_log_entry()
    {
        using var dir = new TempDir();
        await using var server = await DroverProcess.StartServerAsync(dir.Combine("server"), null, null, "--log-format", "json");
        await using var agent = DroverProcess.StartAgent(server.BaseAddress!, dir.Combine("agent"), "json-host", LocalCluster.NextPortRange(),
            "--docker-socket", "none", "--log-format", "json");
        using var client = new DroverClient(server.BaseAddress!);
        try
        {
            await Eventually.AsyncAssert(async () => (await client.GetAgentsAsync()).Agents.Count == 1, TimeSpan.FromSeconds(60), "the agent joined",
                () => server.FormatOutput() + agent.FormatOutput());
            using var app = JsonDocument.Parse("""{"id":"/it/jsonlog","cmd":"exec sleep 600","instances":1,"cpus":0.05,"mem":16}""");
            await client.PutAppAsync("/it/jsonlog", app.RootElement);
            // the agent logs the launch with the task id as a structured field
            await agent.WaitForLineAsync(l => l.Contains("\"Category\":\"Drover.Agent.Tasks\"", StringComparison.Ordinal) && l.Contains("it_jsonlog", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60));
        }
        finally
        {
            output.WriteLine(server.FormatOutput());
            output.WriteLine(agent.FormatOutput());
        }

        AssertJsonLogs(server, "drover server: ");
        AssertJsonLogs(agent, "drover agent: ");
        var launch = agent.Lines.Select(l => l.Text).First(l => l.Contains("\"Category\":\"Drover.Agent.Tasks\"", StringComparison.Ordinal) && l.Contains("it_jsonlog", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(launch);
        Assert.Contains(doc.RootElement.GetProperty("State").EnumerateObject(), p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.StartsWith("it_jsonlog.", StringComparison.Ordinal));
    }

    /// <summary>`drover lb` and `drover up` take the same flag: their stdout is JSON log lines only, the human lines on stderr.</summary>
    [Fact(Timeout = 240_000)]
    public async Task Lb_and_up_write_json_logs_too()
    {
        await using (var c = await LocalCluster.StartAsync(agents: 0))
        await using (var lb = await Lb.DroverLb.StartAsync(c.BaseAddress, "--log-format", "json"))
        {
            // the lb logs as it starts HAProxy and syncs it with the server's state
            await Eventually.AsyncAssert(() => Task.FromResult(lb.Process.Lines.Any(l => !l.IsStderr && l.Text.Contains("\"Category\":\"Drover.Lb", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), "a Drover.Lb log line on stdout", () => lb.Process.FormatOutput());
            output.WriteLine(lb.Process.FormatOutput());
            AssertJsonLogs(lb.Process, "drover lb: ");
        }

        using var dir = new TempDir("up-json");
        await using var up = DroverProcess.Start(
            ["up", "--data-dir", dir.Path, "--listen", $"127.0.0.1:{FreePort.Get()}", "--dns-listen", "127.0.0.1:0", "--agent-listen", "127.0.0.1:0",
             "--ports", LocalCluster.NextPortRange(), "--docker-socket", "none", "--no-lb", "--log-format", "json"],
            new ProcessOptions { Name = "up --log-format json" });
        try
        {
            await up.WaitForLineAsync(l => l.StartsWith("Drover is up", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            // both roles of the one process log as JSON: the server's and the agent's categories
            await up.WaitForLineAsync(l => l.Contains("\"Category\":\"Drover.Agent", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            await up.WaitForLineAsync(l => l.Contains("\"Category\":\"Drover.Server", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            AssertJsonLogs(up, "[1/3] state: ");
        }
        finally
        {
            output.WriteLine(up.FormatOutput());
            await up.DisposeAsync();
            LocalCluster.KillStrayTasks(dir.Combine("agent"));
        }
    }

    /// <summary>Every stdout line is one JSON log entry with the fields a collector keys on; the human lines are on stderr.</summary>
    private static void AssertJsonLogs(DroverProcess p, string humanPrefix)
    {
        var stdout = p.Lines.Where(l => !l.IsStderr).Select(l => l.Text).ToList();
        Assert.NotEmpty(stdout);
        foreach (var line in stdout)
        {
            using var entry = JsonDocument.Parse(line); // throws, naming the line's problem, when it is not JSON
            var e = entry.RootElement;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("Timestamp").GetString());
            Assert.Contains(e.GetProperty("LogLevel").GetString(), new[] { "Trace", "Debug", "Information", "Warning", "Error", "Critical" });
            Assert.False(string.IsNullOrEmpty(e.GetProperty("Category").GetString()));
            Assert.True(e.TryGetProperty("Message", out _), line);
            Assert.Equal(JsonValueKind.Object, e.GetProperty("State").ValueKind);
        }
        // the human lines are still there, beside the logs
        Assert.Contains(p.Lines, l => l.IsStderr && l.Text.StartsWith(humanPrefix, StringComparison.Ordinal));
    }
}
