using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>
/// A tls:// collector that requires client certificates (Logstash's ssl_client_authentication => required, Vector's
/// tls.verify_certificate): an SslStream server over a TcpListener on 127.0.0.1, with certificates made in the test.
/// </summary>
public sealed class ClientCertificateTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly TestPki _pki = new();

    public void Dispose()
    {
        _pki.Dispose();
        _dir.Dispose();
    }

    /// <summary>Accepts one connection, requires a client certificate signed by the test CA, and reads lines until the agent closes.</summary>
    private sealed class RequiringCollector : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _server;
        public readonly List<string> Lines = [];
        public string? ClientSubject;
        public readonly Task Serving;

        public RequiringCollector(TestPki pki, bool require = true)
        {
            _server = pki.Server();
            _listener.Start();
            Serving = ServeAsync(pki, require);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task ServeAsync(TestPki pki, bool require)
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(client.GetStream());
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _server,
                    ClientCertificateRequired = require,
                    RemoteCertificateValidationCallback = (_, cert, _, _) => !require || pki.Signed(cert),
                });
                ClientSubject = ssl.RemoteCertificate?.Subject;
                using var reader = new StreamReader(ssl, Encoding.UTF8);
                while (await reader.ReadLineAsync() is { } line) lock (Lines) Lines.Add(line);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // refused: no certificate, or one not signed by the CA
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _server.Dispose();
            try { await Serving.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception e) when (e is SocketException or ObjectDisposedException or TimeoutException) { }
        }
    }

    private CollectorTls Tls(bool withCertificate)
    {
        X509Certificate2? client = null;
        if (withCertificate)
        {
            var (certFile, keyFile) = _pki.WriteClient(_dir.Path);
            Assert.True(CollectorTls.TryLoadClientCertificate(certFile, keyFile, out client, out var error), error);
        }
        return new CollectorTls([_pki.Ca], client);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true, true)]
    [InlineData(false, false)] // a collector that asks for none is fine without one
    [InlineData(false, true)]  // and with one the agent was given (it is offered only when asked for)
    public async Task With_a_client_certificate_lines_arrive(bool required, bool withCertificate)
    {
        await using var collector = new RequiringCollector(_pki, required);
        await using (var sink = await TcpLogSink.ConnectAsync("127.0.0.1", collector.Port, Tls(withCertificate), CancellationToken.None))
        {
            await sink.SendAsync([Encoding.UTF8.GetBytes("{\"line\":\"one\"}\n"), Encoding.UTF8.GetBytes("{\"line\":\"two\"}\n")], CancellationToken.None);
        }
        await collector.Serving.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["{\"line\":\"one\"}", "{\"line\":\"two\"}"], collector.Lines);
        Assert.Equal(required ? "CN=drover agent" : null, collector.ClientSubject);
    }

    [Fact(Timeout = 30_000)]
    public async Task Without_one_the_agent_refuses_the_collector_and_says_why()
    {
        await using var collector = new RequiringCollector(_pki);
        var tls = Tls(withCertificate: false);
        var e = await Assert.ThrowsAsync<AuthenticationException>(async () =>
        {
            await using var sink = await TcpLogSink.ConnectAsync("127.0.0.1", collector.Port, tls, CancellationToken.None);
            await sink.SendAsync([Encoding.UTF8.GetBytes("{\"line\":\"lost?\"}\n")], CancellationToken.None);
        });
        Assert.Equal("TLS with the collector failed: the collector asks for a client certificate and the agent has none; give it with --log-ship-cert-file and --log-ship-key-file", e.Message);
        await collector.Serving.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Empty(collector.Lines);
    }

    [Fact]
    public void Unreadable_or_mismatched_files_are_named()
    {
        var (certFile, keyFile) = _pki.WriteClient(_dir.Path);
        Assert.False(CollectorTls.TryLoadClientCertificate(certFile, _dir.Combine("missing.pem"), out _, out var missing));
        Assert.StartsWith($"logShipKeyFile: '{_dir.Combine("missing.pem")}' cannot be read", missing);
        Assert.False(CollectorTls.TryLoadClientCertificate(_dir.Combine("nope.pem"), keyFile, out _, out var noCert));
        Assert.StartsWith($"logShipCertFile: '{_dir.Combine("nope.pem")}' cannot be read", noCert);

        var other = Directory.CreateDirectory(_dir.Combine("other")).FullName;
        var (_, otherKey) = _pki.WriteClient(other, "CN=someone else");
        Assert.False(CollectorTls.TryLoadClientCertificate(certFile, otherKey, out _, out var mismatch));
        Assert.StartsWith($"logShipCertFile: '{certFile}' with the key in '{otherKey}' is not a usable PEM certificate and private key", mismatch);

        Assert.True(CollectorTls.TryLoadClientCertificate(certFile, keyFile, out var cert, out _));
        using (cert) Assert.True(cert!.HasPrivateKey);
    }
}
