using System.Text.RegularExpressions;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Security;

/// <summary>
/// Agents joining real servers as an operator would: the token the server generated and printed, a wrong one (refused,
/// logged once, backed off), TLS with the generated CA pinned by the token, several servers, and --advertise.
/// </summary>
public sealed partial class JoinAndTlsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^\s+drover agent --join (?<url>\S+) --token (?<token>\S+)$")]
    private static partial Regex AgentCommandLine();

    /// <summary>Starts `drover server` without --token and reads the agent command line it prints.</summary>
    private static async Task<(DroverProcess Server, Uri Url, string JoinUrl, string Token)> StartServerAsync(TempDir dir, params string[] args)
    {
        var port = FreePort.Get();
        var server = DroverProcess.Start(["server", "--listen", $"127.0.0.1:{port}", "--data-dir", dir.Combine("server"), "--dns-listen", "127.0.0.1:0", .. args],
            new ProcessOptions { Name = $"server:{port}" });
        try
        {
            var line = await server.WaitForLineAsync(l => AgentCommandLine().IsMatch(l), Wait);
            var m = AgentCommandLine().Match(line);
            return (server, new Uri($"http://127.0.0.1:{port}"), m.Groups["url"].Value, m.Groups["token"].Value);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static DroverProcess StartAgent(TempDir dir, string name, string join, string token, params string[] args) =>
        DroverProcess.Start(["agent", "--join", join, "--token", token, "--data-dir", dir.Combine(name), "--hostname", name,
            "--listen", "127.0.0.1:0", "--ports", LocalCluster.NextPortRange(), .. args], new ProcessOptions { Name = $"agent:{name}" });

    private static Task WaitForAgentAsync(DroverClient client, string hostname, Func<string> diagnostics) =>
        Eventually.AsyncAssert(async () => (await client.GetAgentsAsync()).Agents.Any(a => a.Agent.Hostname == hostname),
            Wait, $"{hostname} registered", diagnostics);

    [Fact(Timeout = 180_000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_generated_token_lets_an_agent_join_and_a_wrong_one_is_refused_logged_once_and_backed_off()
    {
        using var dir = new TempDir("join");
        var (server, url, joinUrl, token) = await StartServerAsync(dir);
        await using var _ = server;
        Assert.Equal(url.ToString().TrimEnd('/'), joinUrl);
        Assert.Matches("^[0-9a-f]{32}$", token);
        Assert.Equal(token, (await File.ReadAllTextAsync(dir.Combine("server", "join-token"))).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.Combine("server", "join-token")));
        using var client = new DroverClient(url);

        await using var wrong = StartAgent(dir, "wrong-token", joinUrl, "not-the-token");
        var expected = $"join token rejected by {joinUrl}: it does not match this cluster's token";
        var first = await wrong.WaitForLineAsync(expected, Wait);
        Assert.Matches(@"retrying in 00:00:0[01]\.\d+", first);
        // the second try comes after the backoff, not at once; then a longer one
        var second = await wrong.WaitForLineAsync(l => l.Contains(expected) && l != first, Wait);
        Assert.Matches(@"retrying in 00:00:0[1-2]\.\d+", second);
        Assert.DoesNotContain((await client.GetAgentsAsync()).Agents, a => a.Agent.Hostname == "wrong-token");
        var refusals = server.Lines.Where(l => l.Text.Contains("refused an agent from 127.0.0.1")).ToList();
        Assert.True(refusals.Count == 1, $"one log line for {2} refusals within a minute:\n{server.FormatOutput()}");
        Assert.Contains(expected, refusals[0].Text);

        await using var right = StartAgent(dir, "right-token", joinUrl, token);
        await WaitForAgentAsync(client, "right-token", () => server.FormatOutput() + "\n" + right.FormatOutput());
    }

    [Fact(Timeout = 180_000)]
    public async Task An_agent_joins_over_TLS_with_only_the_printed_URL_and_token_and_a_foreign_fingerprint_is_refused()
    {
        using var dir = new TempDir("tls");
        var tlsPort = FreePort.Get();
        var (server, url, joinUrl, token) = await StartServerAsync(dir, "--tls-listen", $"127.0.0.1:{tlsPort}");
        await using var _ = server;
        Assert.Equal($"https://127.0.0.1:{tlsPort}", joinUrl);
        Assert.Matches("^drover1-[0-9a-f]{64}-[0-9a-f]{32}$", token);
        using var client = new DroverClient(url); // plain clients keep the plain listener
        output.WriteLine(string.Join('\n', server.Lines.Select(l => l.Text)));

        await using var agent = StartAgent(dir, "tls-agent", joinUrl, token);
        await WaitForAgentAsync(client, "tls-agent", () => server.FormatOutput() + "\n" + agent.FormatOutput());

        var foreign = "drover1-" + new string('0', 64) + token[^33..];
        await using var impostor = StartAgent(dir, "foreign", joinUrl, foreign);
        await impostor.WaitForLineAsync(l => l.Contains("is not the one the join token pins (sha256 0000000000000000…)"), Wait);
        Assert.DoesNotContain((await client.GetAgentsAsync()).Agents, a => a.Agent.Hostname == "foreign");

        // a pinning token with a plain URL is refused before anything is sent
        var plainJoin = await DroverProcess.RunCliAsync(Wait, "agent", "--join", url.ToString(), "--token", token, "--data-dir", dir.Combine("plain"), "--listen", "127.0.0.1:0");
        Assert.Equal(2, plainJoin.ExitCode);
        Assert.Contains("the join token pins the cluster's CA, so join the server's https:// address", plainJoin.Stderr + plainJoin.Stdout);

        // the CLI: plain as before, https with the CA file the server wrote
        Assert.True((await DroverProcess.RunCliAsync(Wait, "agents", "--server", url.ToString())).Succeeded);
        var overTls = await DroverProcess.RunCliAsync(Wait, "agents", "--server", joinUrl, "--ca", dir.Combine("server", "tls", "ca.crt"));
        Assert.True(overTls.Succeeded, overTls.ToString());
        Assert.Contains("tls-agent", overTls.Stdout);
        var untrusted = await DroverProcess.RunCliAsync(Wait, "agents", "--server", joinUrl);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("is not trusted by this machine", untrusted.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task An_agent_given_several_servers_skips_a_dead_one_and_follows_the_one_a_follower_names()
    {
        using var dir = new TempDir("servers");
        await using var server = await DroverProcess.StartServerAsync(dir.Combine("server"));
        await using var follower = new NotLeaderServer(server.BaseAddress!);
        var dead = $"http://127.0.0.1:{FreePort.Get()}";
        await using var agent = DroverProcess.StartAgent(new Uri(dead), dir.Combine("agent"), "multi", LocalCluster.NextPortRange(),
            "--join", follower.Url.ToString());
        using var client = new DroverClient(server.BaseAddress!);
        await WaitForAgentAsync(client, "multi", () => server.FormatOutput() + "\n" + agent.FormatOutput());
        await agent.WaitForLineAsync($"joined {server.BaseAddress!.ToString().TrimEnd('/')}", Wait);
        Assert.Contains(agent.Lines, l => l.Text.Contains($"Moving from server {dead}/") && l.Text.Contains("is unreachable"));
        Assert.Contains(agent.Lines, l => l.Text.Contains("is not the leader; following the leader"));
        Assert.True(follower.Requests >= 1);
    }

    [Fact(Timeout = 180_000)]
    public async Task Advertise_is_the_address_of_the_node_and_of_its_tasks_in_DNS()
    {
        await using var c = await LocalCluster.StartAsync(agents: 0);
        using var dir = new TempDir("advertise");
        // a name that is not an address, and an endpoint that would not give one either: only --advertise can
        await using var agent = DroverProcess.StartAgent(c.BaseAddress, dir.Combine("agent"), "adv-node", LocalCluster.NextPortRange(),
            "--advertise", "localhost");
        await WaitForAgentAsync(c.Client, "adv-node", () => c.Diagnostics() + "\n" + agent.FormatOutput());
        try
        {
            using var nodes = System.Text.Json.JsonDocument.Parse(await c.Client.Http.GetStringAsync("/v1/catalog/nodes"));
            var node0 = nodes.RootElement.EnumerateArray().Single(n => n.GetProperty("Node").GetString() == "adv-node");
            Assert.Equal("127.0.0.1", node0.GetProperty("Address").GetString());
            await c.ApplyAsync("""{"id":"/adv-web","cmd":"sleep 300","instances":1,"cpus":0.05,"mem":16}""");
            await c.WaitForRunningAsync("/adv-web", 1);
            var dns = await c.DnsPortAsync();
            var a = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", dns.ToString(), "+tries=1", "+time=2", "+short", "adv-web.service.drover", "A"], TimeSpan.FromSeconds(20));
            Assert.Equal("127.0.0.1", a.Stdout.Trim());
            var node = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", dns.ToString(), "+tries=1", "+time=2", "+short", "adv-node.node.drover", "A"], TimeSpan.FromSeconds(20));
            Assert.Equal("127.0.0.1", node.Stdout.Trim());
            var task = (await c.Client.ListTasksAsync("/adv-web")).Single();
            Assert.Equal("127.0.0.1", Assert.Single(task.IpAddresses!).IpAddress);
        }
        finally
        {
            await c.Client.DeleteAppAsync("/adv-web");
            await Eventually.AsyncAssert(async () => (await c.Client.ListTasksAsync()).Count == 0, Wait, "tasks gone");
        }
    }
}
