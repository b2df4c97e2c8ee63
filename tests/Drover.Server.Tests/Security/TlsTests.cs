using System.Net;
using System.Security.Cryptography.X509Certificates;
using Drover.Agent;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Api.Security;
using Drover.Core.Cluster;
using Drover.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Drover.Server.Storage;

namespace Drover.Server.Tests.Security;

/// <summary>TLS between agents and servers: a CA the server generates, agents that pin it from the join token, and what is refused.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "drover-tls-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private string Sub(string name) => Path.Combine(_dir, name);

    private static async Task<DroverServer> StartAsync(ServerOptions options)
    {
        var server = await DroverServer.CreateAsync(options with { Listen = "127.0.0.1:0", TlsListen = options.TlsListen ?? "127.0.0.1:0" },
            b => b.SetMinimumLevel(LogLevel.Warning));
        await server.StartAsync();
        return server;
    }

    private static AgentRegistration Registration(string host = "h") => new() { Hostname = host, Resources = new AgentResources { Cpus = 1, MemMb = 100 } };

    [Fact(Timeout = 30000)]
    public async Task An_agent_with_only_the_URL_and_the_token_joins_over_TLS_with_the_generated_CA()
    {
        await using var server = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true });
        var token = server.JoinToken!;
        Assert.NotNull(server.TlsUrl);
        Assert.Equal("https", server.TlsUrl!.Scheme);

        // the token pins the CA the server publishes (and writes for operators' --ca)
        using var plain = new HttpClient();
        var published = X509Certificate2.CreateFromPem(await plain.GetStringAsync(new Uri(server.Url, ServerTrust.CaPath)));
        Assert.Equal(JoinToken.DigestOf(published), token.CaDigest);
        Assert.Equal(published.RawData, X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Sub("server/tls/ca.crt"))).RawData);
        Assert.StartsWith($"drover1-{token.CaDigest}-", token.ToString());

        using var agent = DroverClient.Connect(server.TlsUrl, token.Secret, ServerTrust.For(token));
        Assert.False(string.IsNullOrEmpty((await agent.RegisterAgentAsync(Registration())).AgentId));

        // with TLS on, the join secret must not travel in clear text: plain HTTP is refused for agents
        using var overPlain = new DroverClient(server.Url, token.Secret);
        var refused = await Assert.ThrowsAsync<DroverApiException>(() => overPlain.RegisterAgentAsync(Registration()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains($"takes agents over TLS only: join {server.TlsUrl.ToString().TrimEnd('/')}", refused.Message);
        // while plain clients keep the API on the plain listener
        using var client = new DroverClient(server.Url);
        Assert.Empty(await client.ListAppsAsync());
        await server.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task The_CA_is_kept_across_restarts_so_tokens_stay_valid()
    {
        string digest;
        await using (var first = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true }))
        {
            digest = first.JoinToken!.CaDigest!;
            await first.StopAsync();
        }
        await using var second = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true });
        Assert.Equal(digest, second.JoinToken!.CaDigest);
        using var agent = DroverClient.Connect(second.TlsUrl!, second.JoinToken.Secret, ServerTrust.PinnedCa(digest));
        Assert.False(string.IsNullOrEmpty((await agent.RegisterAgentAsync(Registration())).AgentId));
        await second.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task A_token_whose_fingerprint_is_not_the_servers_CA_is_refused_with_a_clear_message()
    {
        await using var server = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true });
        var other = new string('0', 64);
        using var agent = DroverClient.Connect(server.TlsUrl!, server.JoinToken!.Secret, ServerTrust.PinnedCa(other));
        var e = await Assert.ThrowsAsync<ServerTrustException>(() => agent.RegisterAgentAsync(Registration()));
        Assert.Equal(
            $"the CA of {server.TlsUrl} (sha256 {JoinToken.Short(server.JoinToken.CaDigest!)}) is not the one the join token pins (sha256 {JoinToken.Short(other)}): " +
            "the token belongs to another cluster, or something stands between this agent and the server",
            e.Message);
        Assert.Empty(server.Services.GetRequiredService<StateWriter>().Current.All(Schema.Agents));
        await server.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task A_server_whose_certificate_does_not_chain_to_the_CA_it_publishes_is_refused()
    {
        // what someone in the middle would do: publish the real CA, but present a certificate of its own
        var now = DateTimeOffset.UtcNow;
        using var realCa = CertificateAuthority.CreateCa(now, "real");
        using var fakeCa = CertificateAuthority.CreateCa(now, "fake");
        using var fakeLeaf = CertificateAuthority.IssueServer(fakeCa, ["localhost"], [IPAddress.Loopback], now);
        await using var impostor = await HttpsServer.StartAsync(fakeLeaf, realCa.ExportCertificatePem());
        using var agent = DroverClient.Connect(impostor.Url, "secret", ServerTrust.PinnedCa(JoinToken.DigestOf(realCa)));
        var e = await Assert.ThrowsAsync<ServerTrustException>(() => agent.RegisterAgentAsync(Registration()));
        Assert.StartsWith($"refusing {impostor.Url}: its certificate (CN=drover server, O=Drover, issued by CN=fake, O=Drover) does not chain to the CA pinned by sha256 ", e.Message);
        Assert.Equal(0, impostor.Registrations);
    }

    [Fact(Timeout = 30000)]
    public async Task Clients_trust_a_CA_file_or_digest_and_say_why_without_one()
    {
        await using var server = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true });
        using (var withFile = DroverClient.Connect(server.TlsUrl!, null, ServerTrust.Parse(Sub("server/tls/ca.crt"))))
            Assert.Empty(await withFile.ListAppsAsync());
        using (var withDigest = DroverClient.Connect(server.TlsUrl!, null, ServerTrust.Parse("sha256:" + server.JoinToken!.CaDigest)))
            Assert.Empty(await withDigest.ListAppsAsync());
        using var system = DroverClient.Connect(server.TlsUrl!, null);
        var e = await Assert.ThrowsAsync<ServerTrustException>(() => system.ListAppsAsync());
        Assert.Contains("is not trusted by this machine; give its CA with --ca FILE or --ca sha256:DIGEST", e.Message);
        Assert.Throws<ArgumentException>(() => ServerTrust.Parse("sha256:xyz"));
        Assert.Throws<ArgumentException>(() => ServerTrust.Parse(Sub("no-such.pem")));
        await server.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Given_certificates_are_checked_against_the_given_CA_which_the_token_pins()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = CertificateAuthority.CreateCa(now, "ops CA");
        using var other = CertificateAuthority.CreateCa(now, "other CA");
        using var leaf = CertificateAuthority.IssueServer(ca, ["localhost"], [IPAddress.Loopback], now);
        Directory.CreateDirectory(_dir);
        var (certPem, keyPem) = CertificateAuthority.ExportPem(leaf);
        await File.WriteAllTextAsync(Sub("cert.pem"), certPem);
        await File.WriteAllTextAsync(Sub("key.pem"), keyPem);
        await File.WriteAllTextAsync(Sub("ca.pem"), ca.ExportCertificatePem());
        await File.WriteAllTextAsync(Sub("other.pem"), other.ExportCertificatePem());

        var bad = new ServerOptions { GenerateJoinToken = true, TlsCertFile = Sub("cert.pem"), TlsKeyFile = Sub("key.pem"), TlsCaFile = Sub("other.pem") };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(bad));
        Assert.Equal($"--tls-cert {Sub("cert.pem")} (CN=drover server, O=Drover) is not signed by --tls-ca {Sub("other.pem")} (CN=other CA, O=Drover)", e.Message);

        await using var server = await StartAsync(bad with { TlsCaFile = Sub("ca.pem") });
        Assert.Equal(JoinToken.DigestOf(ca), server.JoinToken!.CaDigest);
        using var agent = DroverClient.Connect(server.TlsUrl!, server.JoinToken.Secret, ServerTrust.For(server.JoinToken));
        Assert.False(string.IsNullOrEmpty((await agent.RegisterAgentAsync(Registration())).AgentId));
        await server.StopAsync();
    }

    [Fact]
    public void Options_that_do_not_go_together_are_named()
    {
        Assert.Equal("--tls-cert and --tls-key go together",
            Assert.Throws<ArgumentException>(() => new ServerOptions { TlsListen = "127.0.0.1:0", TlsCertFile = "c" }.Validate()).Message);
        Assert.Equal("--tls-cert needs --tls-listen (the address of the HTTPS listener)",
            Assert.Throws<ArgumentException>(() => new ServerOptions { TlsCertFile = "c", TlsKeyFile = "k" }.Validate()).Message);
        Assert.Equal("--api-token-reads needs --api-token",
            Assert.Throws<ArgumentException>(() => new ServerOptions { ApiTokenForReads = true }.Validate()).Message);
        var pinned = new AgentOptions { ServerUrl = "http://10.0.0.1:8080", DataDir = "/tmp/x", Token = $"drover1-{new string('c', 64)}-s" };
        Assert.Contains(pinned.Validate(), m => m.StartsWith("serverUrl: the join token pins the cluster's CA, so join the server's https:// address", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task A_real_agent_joins_over_TLS_runs_a_task_and_serves_its_logs_to_the_server_only()
    {
        await using var server = await StartAsync(new ServerOptions { DataDir = Sub("server"), GenerateJoinToken = true });
        await using var agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = server.TlsUrl!.ToString(),
            Token = server.JoinToken!.ToString(),
            DataDir = Sub("agent"),
            Hostname = "tls-agent",
            Cpus = 1,
            MemMb = 256,
            Ports = "1-2",
            EnableCgroups = false,
            KillTasksOnStop = true,
        });
        await agent.StartAsync();
        await agent.Registered.WaitAsync(TimeSpan.FromSeconds(20));
        using var client = new DroverClient(server.Url);
        var app = System.Text.Json.JsonDocument.Parse("""{"id":"/tls-echo","cmd":"echo hello-over-tls; sleep 300","instances":1,"cpus":0.1,"mem":16,"portDefinitions":[]}""").RootElement;
        await client.PutAppAsync("/tls-echo", app);
        var task = await Eventually.Get(() => client.ListTasksAsync("/tls-echo"), ts => ts.Count == 1 && ts[0].State == "TASK_RUNNING", "the task runs");
        var logs = await Eventually.Get(() => client.Http.GetStringAsync($"/v2/tasks/{task[0].Id}/logs?stream=stdout"), s => s.Contains("hello-over-tls"), "the server reads the task's log from the agent");
        Assert.Contains("hello-over-tls", logs);

        // the agent's own endpoint wants the join secret: only the server may read task logs there
        using var direct = new HttpClient();
        using var denied = await direct.GetAsync(new Uri(agent.Endpoint, $"/tasks/{task[0].Id}/logs?stream=stdout"));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync(new Uri(agent.Endpoint, "/ping"))).StatusCode);
        await client.DeleteAppAsync("/tls-echo");
        await agent.StopAsync();
        await server.StopAsync();
    }

    /// <summary>A TLS server with a given certificate that answers /v1/drover/ca with a given PEM and counts registrations.</summary>
    private sealed class HttpsServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _registrations;

        private HttpsServer(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;
        public int Registrations => Volatile.Read(ref _registrations);

        public static async Task<HttpsServer> StartAsync(X509Certificate2 certificate, string caPem)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
            var app = builder.Build();
            var server = new HttpsServer(app);
            app.MapGet(ServerTrust.CaPath, () => Results.Text(caPem));
            app.MapPost("/internal/agents/register", () =>
            {
                Interlocked.Increment(ref server._registrations);
                return Results.Ok();
            });
            await app.StartAsync();
            server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
