using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Discovery;
using Drover.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

/// <summary>The probes of Drover.Health that the agent's Marathon checks and the server's Consul checks share.</summary>
public sealed class SharedProbeTests
{
    [Theory]
    [InlineData(200, HealthStatus.Passing, HealthStatus.Passing)]
    [InlineData(204, HealthStatus.Passing, HealthStatus.Passing)]
    [InlineData(302, HealthStatus.Passing, HealthStatus.Critical)]  // Marathon: 3xx passes; Consul: only 2xx
    [InlineData(399, HealthStatus.Passing, HealthStatus.Critical)]
    [InlineData(429, HealthStatus.Critical, HealthStatus.Warning)]  // Consul's "too many requests" warning
    [InlineData(404, HealthStatus.Critical, HealthStatus.Critical)]
    [InlineData(503, HealthStatus.Critical, HealthStatus.Critical)]
    public void Each_api_keeps_its_own_http_rules(int code, HealthStatus marathon, HealthStatus consul)
    {
        Assert.Equal(marathon, HttpProbe.Classify(code, HttpCheckRules.Marathon));
        Assert.Equal(consul, HttpProbe.Classify(code, HttpCheckRules.Consul));
    }

    [Fact(Timeout = 20_000)]
    public async Task An_http_probe_sends_method_headers_and_body_and_keeps_the_body_up_to_its_limit()
    {
        string? seen = null;
        await using var server = await TestHttpServer.StartAsync(app => app.MapMethods("/check", ["PUT"], async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            seen = $"{ctx.Request.Headers["X-Probe"]} {ctx.Request.Headers.UserAgent} {await reader.ReadToEndAsync()}";
            ctx.Response.StatusCode = 429;
            await ctx.Response.WriteAsync("slow down, please");
        }));
        using var http = new HttpClient();

        var resp = await HttpProbe.SendAsync(http, new HttpProbeRequest
        {
            Uri = new Uri(server.BaseUri, "/check"),
            Method = "PUT",
            Headers = new Dictionary<string, IReadOnlyList<string>> { ["X-Probe"] = ["yes"] },
            Body = "ping",
            UserAgent = "test-agent",
            MaxBody = 9,
        }, CancellationToken.None);

        Assert.Equal("yes test-agent ping", seen);
        Assert.Equal(429, resp.StatusCode);
        Assert.Equal("Too Many Requests", resp.ReasonPhrase);
        Assert.Equal("slow down", resp.Body);
    }

    [Theory]
    [InlineData("exit 0", HealthStatus.Passing)]
    [InlineData("echo degraded; exit 1", HealthStatus.Warning)]
    [InlineData("echo broken >&2; exit 2", HealthStatus.Critical)]
    public async Task A_command_is_classified_by_its_exit_code_and_its_output_kept(string script, HealthStatus expected)
    {
        var outcome = await CommandProbe.RunAsync(new CommandProbeSpec { FileName = "/bin/sh", Arguments = ["-c", script] }, CancellationToken.None);

        Assert.Equal(expected, CommandProbe.Classify(outcome.ExitCode));
        if (script.Contains("echo")) Assert.Contains(script.Contains("broken") ? "broken" : "degraded", outcome.Output);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_command_that_outlives_its_timeout_is_killed_with_its_children()
    {
        using var dir = new TestDir();
        var pidFile = dir.Combine("child.pid");
        using var cts = new CancellationTokenSource();
        var run = CommandProbe.RunAsync(new CommandProbeSpec
        {
            FileName = "/bin/sh",
            Arguments = ["-c", $"sleep 30 & echo $! > {pidFile}; wait"],
        }, cts.Token);
        await Eventually.True(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the child started");
        var child = int.Parse(File.ReadAllText(pidFile).Trim());

        cts.Cancel(); // what a check's timeout does
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        await Eventually.True(() => Gone(child), "the background child was killed too");
    }

    /// <summary>Exited: no /proc entry, or a zombie waiting for init.</summary>
    private static bool Gone(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return true; }
    }

    [Fact(Timeout = 20_000)]
    public async Task A_tcp_probe_says_why_it_could_not_connect()
    {
        await using var server = await TestHttpServer.StartAsync(_ => { });
        Assert.Null(await TcpProbe.TryConnectAsync("127.0.0.1", server.Port, CancellationToken.None));
        var port = server.Port;
        await server.DisposeAsync();
        Assert.Contains("refused", await TcpProbe.TryConnectAsync("127.0.0.1", port, CancellationToken.None), StringComparison.OrdinalIgnoreCase);
    }
}
