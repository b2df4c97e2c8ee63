using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Security;

/// <summary>
/// A server started with --api-token: Debian's python3-marathon (basic auth, as Marathon's --http_credentials) and
/// python3-consul (token=) work with it and are refused without it, writing nothing; the CLI sends its --token on
/// every command, and with --api-token-reads the event stream needs it too.
/// </summary>
/// <remarks>
/// python3-consul 0.7.1 sends its token only on some calls (not on /v1/agent/services, for one), so it works with
/// write tokens but not with --api-token-reads — as against a Consul whose ACLs deny anonymous reads.
/// </remarks>
public sealed class ApiTokenClientTests(ITestOutputHelper output)
{
    private const string Token = "it-api-token";
    private const string WebApp = """
        {"id":"/it/token-web","cmd":"echo token-log-line; exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":1,"cpus":0.1,"mem":64,
         "healthChecks":[{"protocol":"HTTP","path":"/","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":3}]}
        """;

    [Fact(Timeout = 420_000)]
    public async Task Python_clients_and_the_CLI_work_with_the_API_token_and_are_refused_without_it()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1, apiToken: Token);
        try
        {
            var marathon = await PythonClient.RunAsync("marathon_client_check.py", TimeSpan.FromMinutes(5),
                c.BaseAddress.ToString(), "--app-id", "/it/token-check", "--timeout", "90", "--password", Token);
            output.WriteLine(marathon.ToString());
            Assert.True(marathon.Succeeded, marathon + "\n" + c.Diagnostics());
            Assert.Contains("STEP refused_without_credentials: ok", marathon.Stdout);
            Assert.Contains("ALL OK", marathon.Stdout);

            await c.ApplyAsync(WebApp);
            await c.WaitForRunningAsync("/it/token-web", 1);
            var consul = await PythonClient.RunAsync("consul_client_check.py", TimeSpan.FromMinutes(3),
                "127.0.0.1", c.BaseAddress.Port.ToString(), "--app-service", "token-web-it", "--timeout", "60", "--token", Token);
            output.WriteLine(consul.ToString());
            Assert.True(consul.Succeeded, consul + "\n" + c.Diagnostics());
            Assert.Contains("STEP refused_without_token: ok", consul.Stdout);
            Assert.Contains("ALL OK", consul.Stdout);

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
        async Task<ProcessResult> Run(string? token, params string[] args)
        {
            string[] auth = token is null ? [] : ["--token", token];
            var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), [.. args, "--server", server, .. auth]);
            output.WriteLine($"drover {string.Join(' ', args)}: {r}");
            return r;
        }

        var refused = await Run(null, "app", "scale", "/it/token-web", "3", "--no-wait");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("API token required", refused.Stderr);
        Assert.Equal(1, (await c.Client.GetAppAsync("/it/token-web")).Instances);
        var wrong = await Run("nope", "kv", "put", "k", "v");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("ACL not found", wrong.Stderr);
        Assert.Equal(1, (await Run(Token, "kv", "get", "k")).ExitCode); // not found: the refused put wrote nothing

        var ls = await Run(Token, "app", "ls");
        Assert.True(ls.Succeeded, ls.ToString());
        Assert.Contains("/it/token-web", ls.Stdout);
        var logs = await Run(Token, "logs", "/it/token-web");
        Assert.True(logs.Succeeded, logs.ToString());
        Assert.Contains("token-log-line", logs.Stdout);

        // the streams: logs -f and events hold the connection open, so read their first lines and stop them
        await using (var follow = DroverProcess.Start(["logs", "-f", "/it/token-web", "--server", server, "--token", Token], new ProcessOptions { Name = "logs -f" }))
            await follow.WaitForLineAsync("token-log-line", TimeSpan.FromSeconds(60));
        await using (var events = DroverProcess.Start(["events", "--server", server, "--token", Token], new ProcessOptions { Name = "events" }))
        {
            await events.WaitForLineAsync("event_stream_attached", TimeSpan.FromSeconds(60));
            Assert.True((await Run(Token, "app", "scale", "/it/token-web", "0", "--no-wait")).Succeeded);
            await events.WaitForLineAsync("deployment_info", TimeSpan.FromSeconds(60));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task With_reads_guarded_too_the_CLI_reads_and_streams_events_only_with_the_token()
    {
        using var dir = new TempDir("reads");
        await using var server = await DroverProcess.StartServerAsync(dir.Combine("server"), null, null, "--api-token", Token, "--api-token-reads");
        var url = server.BaseAddress!.ToString();
        var anonymousLs = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "app", "ls", "--server", url);
        Assert.Equal(1, anonymousLs.ExitCode);
        Assert.Contains("API token required", anonymousLs.Stderr);
        Assert.True((await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "app", "ls", "--server", url, "--token", Token)).Succeeded);

        await using (var events = DroverProcess.Start(["events", "--server", url, "--token", Token], new ProcessOptions { Name = "events" }))
            await events.WaitForLineAsync("event_stream_attached", TimeSpan.FromSeconds(60));
        await using var anonymous = DroverProcess.Start(["events", "--server", url], new ProcessOptions { Name = "events without token" });
        Assert.Equal(1, await anonymous.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(anonymous.Lines, l => l.Text.Contains("API token required"));
        // the token travels in an environment variable just as well
        var fromEnv = await ProcessRunner.RunAsync(DroverProcess.DotnetPath, [DroverProcess.CliDllPath, "app", "ls", "--server", url],
            TimeSpan.FromSeconds(60), new Dictionary<string, string?> { ["DROVER_TOKEN"] = Token });
        Assert.True(fromEnv.Succeeded, fromEnv.ToString());
    }
}
