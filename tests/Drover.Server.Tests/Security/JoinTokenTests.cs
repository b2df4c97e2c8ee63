using System.Net;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Api.Security;
using Drover.Core.Cluster;
using Drover.Server.Security;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Tests.Security;

/// <summary>The join token: generated once and kept, presented by agents, refused with a clear message and a quiet log.</summary>
public sealed class JoinTokenTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "drover-join-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private async Task<DroverServer> StartAsync(ServerOptions options, TimeProvider? time = null)
    {
        var server = await DroverServer.CreateAsync(options with { Listen = "127.0.0.1:0" }, b => b.AddProvider(_logs), time);
        await server.StartAsync();
        return server;
    }

    private static AgentRegistration Registration(string host = "h") => new() { Hostname = host, Resources = new AgentResources { Cpus = 1, MemMb = 100 } };

    [Fact(Timeout = 30000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_server_generates_its_token_on_first_start_keeps_it_private_and_reuses_it()
    {
        string first;
        await using (var server = await StartAsync(new ServerOptions { DataDir = _dir, GenerateJoinToken = true }))
        {
            first = server.JoinToken!.ToString();
            Assert.Null(server.JoinToken.CaDigest); // no TLS, no CA to pin: a bare secret
            Assert.Matches("^[0-9a-f]{32}$", first);
            var file = Path.Combine(_dir, ServerSecurity.JoinTokenFileName);
            Assert.Equal(first, (await File.ReadAllTextAsync(file)).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "state.db")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
            await server.StopAsync();
        }
        await using (var again = await StartAsync(new ServerOptions { DataDir = _dir, GenerateJoinToken = true }))
        {
            Assert.Equal(first, again.JoinToken!.ToString());
            await again.StopAsync();
        }
        // --token given: it wins over the stored one
        await using var given = await StartAsync(new ServerOptions { DataDir = _dir, GenerateJoinToken = true, AgentToken = "mine" });
        Assert.Equal("mine", given.JoinToken!.ToString());
        await given.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task A_missing_or_wrong_token_is_refused_with_a_message_naming_the_problem()
    {
        await using var server = await StartAsync(new ServerOptions { AgentToken = "right" });
        var self = server.Url.ToString().TrimEnd('/');

        using var none = new DroverClient(server.Url);
        var missing = await Assert.ThrowsAsync<DroverApiException>(() => none.RegisterAgentAsync(Registration()));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.StartsWith($"join token missing: {self} requires this cluster's join token", missing.Message);

        using var wrong = new DroverClient(server.Url, "wrong");
        var rejected = await Assert.ThrowsAsync<DroverApiException>(() => wrong.RegisterAgentAsync(Registration()));
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.Status);
        Assert.Equal($"join token rejected by {self}: it does not match this cluster's token", rejected.Message);
        await Assert.ThrowsAsync<DroverApiException>(() => wrong.HeartbeatAsync("someone", new AgentHeartbeat()));

        using var right = new DroverClient(server.Url, "right");
        Assert.False(string.IsNullOrEmpty((await right.RegisterAgentAsync(Registration())).AgentId));
        // a whole drover1 token carries the same secret: accepted too
        using var whole = new DroverClient(server.Url, $"drover1-{new string('a', 64)}-right");
        Assert.False(string.IsNullOrEmpty((await whole.RegisterAgentAsync(Registration("h2"))).AgentId));
        await server.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Refusals_are_logged_once_per_address_and_minute_with_a_count_of_the_rest()
    {
        var time = new Drover.Agent.Tests.Infrastructure.ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(new ServerOptions { AgentToken = "right" }, time);
        using var wrong = new DroverClient(server.Url, "wrong");
        for (var i = 0; i < 5; i++) await Assert.ThrowsAsync<DroverApiException>(() => wrong.RegisterAgentAsync(Registration()));
        var lines = _logs.Texts("refused an agent from 127.0.0.1").ToList();
        Assert.Single(lines);
        Assert.Contains("join token rejected by", lines[0]);

        time.Advance(TimeSpan.FromSeconds(61));
        await Assert.ThrowsAsync<DroverApiException>(() => wrong.RegisterAgentAsync(Registration()));
        lines = [.. _logs.Texts("refused an agent from 127.0.0.1")];
        Assert.Equal(2, lines.Count);
        Assert.EndsWith("(4 more refusal(s) from there since the last line)", lines[1]);
        await server.StopAsync();
    }

    [Fact]
    public void The_throttle_logs_each_address_on_its_own_and_forgets_old_ones()
    {
        var time = new Drover.Agent.Tests.Infrastructure.ManualTimeProvider();
        var throttle = new RefusalThrottle(time, TimeSpan.FromMinutes(1), maxAddresses: 2);
        Assert.True(throttle.ShouldLog("a", out var n) && n == 0);
        Assert.False(throttle.ShouldLog("a", out _));
        Assert.True(throttle.ShouldLog("b", out _));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(throttle.ShouldLog("a", out _));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(throttle.ShouldLog("c", out _)); // full: the expired entries make room
        Assert.True(throttle.ShouldLog("a", out n));
        Assert.Equal(0, n); // a's entry was pruned with its count: at worst a line too many, never a line too few
    }

    [Fact]
    public void Join_tokens_parse_in_both_forms_and_malformed_ones_are_named()
    {
        var digest = new string('b', 64);
        Assert.Equal(new JoinToken("s3", digest), JoinToken.Parse($"drover1-{digest}-s3"));
        Assert.Equal(new JoinToken("s3", digest), JoinToken.Parse($"drover1-{digest.ToUpperInvariant()}-s3"));
        Assert.Equal(new JoinToken("plain", null), JoinToken.Parse("plain"));
        Assert.Equal($"drover1-{digest}-s3", new JoinToken("s3", digest).ToString());
        Assert.False(JoinToken.TryParse("drover1-abc-s3", out _, out var error));
        Assert.Contains("expected drover1-<64 hex digits of the CA's sha256>-<secret>", error);
        Assert.False(JoinToken.TryParse($"drover1-{digest}-", out _, out _));
        Assert.False(JoinToken.TryParse("  ", out _, out _));
        Assert.True(new JoinToken("s3", null).Accepts($"drover1-{digest}-s3"));
        Assert.False(new JoinToken("s3", null).Accepts("s4"));
        Assert.False(new JoinToken("s3", null).Accepts(null));
    }
}
