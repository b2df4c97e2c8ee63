using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// --log-ship with a real dockerd: a container's stdout and stderr reach a json_lines collector while it runs (from
/// Docker's log stream, not when it ends), each line once, even after the container's output is archived into its
/// sandbox at its end.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerLogShippingTests(DockerFixture docker, ITestOutputHelper output)
{
    [Fact(Timeout = 240_000)]
    public async Task A_running_containers_lines_are_shipped_live_and_each_only_once_after_it_ends()
    {
        await using var collector = JsonLinesCollector.Start(reads: true);
        await using var c = await LocalCluster.StartWithDockerAsync(1, docker.Daemon.Socket, "--log-ship", collector.Url);
        try
        {
            await c.ApplyAsync($$"""
                {"id":"/dship/talker","container":{"type":"DOCKER","docker":{"image":"{{DockerDaemon.Image}}","network":"NONE"} },
                 "cmd":"i=0; while true; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); sleep 0.2; done","instances":1,"cpus":0.1,"mem":32}
                """);
            var app = await c.WaitForRunningAsync("/dship/talker", 1, TimeSpan.FromSeconds(90));
            var taskId = app.Tasks!.Single().Id;

            List<JsonElement> Parsed() => [.. collector.Received.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
            await Eventually.AsyncAssert(() => Task.FromResult(Parsed().Any(l => l.GetProperty("line").GetString() == "out 5")
                && Parsed().Any(l => l.GetProperty("line").GetString() == "err 5")), TimeSpan.FromSeconds(60),
                "the collector received the container's stdout and stderr", c.Diagnostics);
            // live: the container still runs, and nothing of it is in the sandbox yet (that is only written at its end)
            Assert.Equal("true", (await docker.Daemon.DockerAsync("inspect", "-f", "{{.State.Running}}", "drover-" + taskId)).Trim());
            Assert.False(File.Exists(Path.Combine(c.Sandbox(taskId), "stdout")));
            var first = Parsed().First(l => l.GetProperty("line").GetString() == "out 0");
            Assert.Equal(["app", "task", "host", "stream", "time", "line"], first.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.Equal(("/dship/talker", taskId, "host-1", "stdout"),
                (first.GetProperty("app").GetString(), first.GetProperty("task").GetString(), first.GetProperty("host").GetString(), first.GetProperty("stream").GetString()));

            await c.Client.DeleteAppAsync("/dship/talker");
            await Eventually.AsyncAssert(async () => (await docker.Daemon.DockerAsync("ps", "-aq", "--filter", "label=drover.app-id=/dship/talker")).Length == 0,
                TimeSpan.FromSeconds(60), "the container is stopped and removed", c.Diagnostics);
            var sandboxOut = Path.Combine(c.Sandbox(taskId), "stdout");
            await Eventually.AsyncAssert(() => Task.FromResult(File.Exists(sandboxOut)), TimeSpan.FromSeconds(30), "the output is archived", c.Diagnostics);
            var archived = File.ReadAllLines(sandboxOut);
            // every archived line arrives, once: the archive is not shipped a second time
            await Eventually.AsyncAssert(() => Task.FromResult(Parsed().Count(l => l.GetProperty("stream").GetString() == "stdout") >= archived.Length),
                TimeSpan.FromSeconds(30), "every stdout line arrived", c.Diagnostics);
            var outs = Parsed().Where(l => l.GetProperty("stream").GetString() == "stdout").Select(l => l.GetProperty("line").GetString()!).ToList();
            Assert.Equal(archived, outs);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }
}
