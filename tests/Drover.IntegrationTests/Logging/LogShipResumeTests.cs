using System.Globalization;
using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// At-least-once shipping across an agent restart: a real server and agent, a task printing numbered lines, a
/// json_lines collector in the test. The agent is SIGKILLed mid-run (its task prints on), started again on the same
/// data dir, and the collector ends up with every number, including those printed while the agent was down.
/// </summary>
public sealed class LogShipResumeTests(ITestOutputHelper output)
{
    // about 50 lines a second
    private const string Counter = """
        {"id":"/ship/counter","cmd":"i=1; while true; do echo \"n $i\"; i=$((i+1)); sleep 0.02; done","instances":1,"cpus":0.1,"mem":32}
        """;

    [Fact(Timeout = 240_000)]
    public async Task A_sigkilled_agent_started_again_ships_every_line_from_where_the_collector_left_off()
    {
        await using var collector = JsonLinesCollector.Start(reads: true);
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--log-ship", collector.Url);
        try
        {
            await c.ApplyAsync(Counter);
            var taskId = (await c.WaitForRunningAsync("/ship/counter", 1)).Tasks!.Single().Id;
            var stdout = Path.Combine(c.Sandbox(taskId), "stdout");
            var registry = Path.Combine(c.AgentDataDir(0), "log-ship-positions.json");

            // shipping, and the acknowledged position of the task recorded
            await Eventually.AsyncAssert(() => Task.FromResult(Numbers(collector).Count >= 50 && RecordedOffset(registry, taskId) > 0),
                TimeSpan.FromSeconds(60), "lines arrive and the agent recorded its position", c.Diagnostics);

            await c.KillAgentAsync(0);
            var shippedBeforeKill = Numbers(collector).Max();
            // the task prints on while no agent reads its files
            await Eventually.AsyncAssert(() => Task.FromResult(LastNumber(stdout) > shippedBeforeKill + 100), TimeSpan.FromSeconds(60),
                "the task printed 100 lines more while the agent was down", c.Diagnostics);
            var printedWhileDown = LastNumber(stdout);

            await c.StartAgentAgainAsync(0);
            var target = printedWhileDown + 100;
            await Eventually.AsyncAssert(() => Task.FromResult(Numbers(collector).Count > 0 && Numbers(collector).Max() >= target), TimeSpan.FromSeconds(90),
                $"lines past {target} arrive from the restarted agent", c.Diagnostics);

            var received = Numbers(collector);
            var distinct = received.ToHashSet();
            var missing = Enumerable.Range(1, target).Where(n => !distinct.Contains(n)).ToList();
            output.WriteLine($"killed after {shippedBeforeKill} shipped, {printedWhileDown} printed by the restart; {received.Count} lines received, {received.Count - distinct.Count} of them again");
            Assert.True(missing.Count == 0, $"numbers never shipped: {string.Join(", ", missing.Take(50))}");
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private static List<int> Numbers(JsonLinesCollector collector) =>
        [.. collector.Received
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("line").GetString()!)
            .Where(l => l.StartsWith("n ", StringComparison.Ordinal))
            .Select(l => int.Parse(l[2..], CultureInfo.InvariantCulture))];

    private static int LastNumber(string stdout)
    {
        using var file = new FileStream(stdout, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Position = Math.Max(0, file.Length - 200);
        var tail = new StreamReader(file).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return tail.Length < 2 ? 0 : int.Parse(tail[^2][2..], CultureInfo.InvariantCulture); // the last may be half-written
    }

    private static long RecordedOffset(string registry, string taskId)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(registry));
            return doc.RootElement.GetProperty("positions").EnumerateArray()
                .Where(p => p.GetProperty("task").GetString() == taskId && p.GetProperty("stream").GetString() == "stdout")
                .Select(p => p.GetProperty("offset").GetInt64()).DefaultIfEmpty(0).Max();
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException)
        {
            return 0;
        }
    }
}
