using Drover.Agent.Logs.Shipping;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>--log-ship and --log-ship-buffer, read the way drover agent and drover up read them (both use AgentRoleOptions).</summary>
public sealed class LogShipOptionTests
{
    [Fact]
    public void Reads_the_collector_and_buffer_into_the_agent_options()
    {
        var (options, result) = AgentRoleParsing.Parse("--log-ship", "http://10.0.0.5:8080/logs", "--log-ship-buffer", "50");
        var agent = AgentRoleParsing.Read(options, result);
        Assert.Equal(50, agent.LogShipBuffer);
        Assert.Equal(LogShipProtocol.Http, agent.LogShipTarget!.Protocol);
        Assert.Equal(8080, agent.LogShipTarget.Port);

        var (defaults, none) = AgentRoleParsing.Parse();
        var plain = AgentRoleParsing.Read(defaults, none);
        Assert.Null(plain.LogShipTarget);
        Assert.Equal(LogShipBuffer.DefaultCapacity, plain.LogShipBuffer);
    }

    [Theory]
    [InlineData("tcp://collector", "a port is required")]
    [InlineData("syslog://collector:514", "the scheme must be tcp, tls, http or https, not 'syslog'")]
    public void A_bad_url_is_a_usage_error_naming_the_problem(string url, string expected)
    {
        var (options, result) = AgentRoleParsing.Parse("--log-ship", url);
        var e = Assert.Throws<UsageException>(() => AgentRoleParsing.Read(options, result));
        Assert.Contains($"logShip: '{url}': {expected}", e.Message);
    }

    [Fact]
    public void Headers_repeat_and_a_ca_file_is_read_as_an_absolute_path()
    {
        var pem = Path.Combine(Path.GetTempPath(), $"drover-ca-{Guid.NewGuid():N}.pem");
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            var req = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(pem, cert.ExportCertificatePem());
        }
        try
        {
            var (options, result) = AgentRoleParsing.Parse("--log-ship", "https://10.0.0.5:8443/logs", "--log-ship-header", "Authorization: Bearer s3cret",
                "--log-ship-header", "X-Tenant:  blue ", "--log-ship-ca-file", pem);
            var agent = AgentRoleParsing.Read(options, result);
            Assert.Equal([("Authorization", "Bearer s3cret"), ("X-Tenant", "blue")], agent.CollectorHeaders.Select(h => (h.Name, h.Value)));
            Assert.Equal(pem, agent.LogShipCaFile);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Theory]
    [InlineData(new[] { "--log-ship", "tcp://c:5170", "--log-ship-header", "Authorization: x" }, "logShipHeader: headers are sent to http(s):// collectors only, and --log-ship is tcp://")]
    [InlineData(new[] { "--log-ship", "http://c:80/", "--log-ship-header", "no colon here" }, "logShipHeader: expects 'Name: value', e.g. 'Authorization: Bearer TOKEN'")]
    [InlineData(new[] { "--log-ship", "http://c:80/", "--log-ship-header", "Bad Name: v" }, "logShipHeader: 'Bad Name' is not a valid header name")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-ca-file", "/nonexistent/ca.pem" }, "logShipCaFile: '/nonexistent/ca.pem' cannot be read as PEM certificates")]
    [InlineData(new[] { "--log-ship", "tcp://c:5170", "--log-ship-ca-file", "/etc/hostname" }, "logShipCaFile: trusts the certificate of a tls:// or https:// collector, and --log-ship is tcp://")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-cert-file", "/etc/hostname" }, "logShipKeyFile: --log-ship-cert-file needs the certificate's private key in --log-ship-key-file")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-key-file", "/etc/hostname" }, "logShipCertFile: --log-ship-key-file needs the certificate it belongs to in --log-ship-cert-file")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-cert-file", "/nonexistent/c.pem", "--log-ship-key-file", "/etc/hostname" }, "logShipCertFile: '/nonexistent/c.pem' cannot be read")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-cert-file", "/etc/hostname", "--log-ship-key-file", "/nonexistent/k.pem" }, "logShipKeyFile: '/nonexistent/k.pem' cannot be read")]
    [InlineData(new[] { "--log-ship", "tls://c:6514", "--log-ship-cert-file", "/etc/hostname", "--log-ship-key-file", "/etc/hostname" }, "logShipCertFile: '/etc/hostname' with the key in '/etc/hostname' is not a usable PEM certificate and private key")]
    [InlineData(new[] { "--log-ship", "http://c:80/", "--log-ship-cert-file", "/etc/hostname", "--log-ship-key-file", "/etc/hostname" }, "logShipCertFile: a client certificate is for a tls:// or https:// collector, and --log-ship is http://")]
    public void Bad_collector_settings_are_usage_errors_naming_the_problem(string[] args, string expected)
    {
        var (options, result) = AgentRoleParsing.Parse(args);
        var e = Assert.Throws<UsageException>(() => AgentRoleParsing.Read(options, result));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_client_certificate_and_key_are_read_as_absolute_paths()
    {
        var dir = Directory.CreateTempSubdirectory("drover-client-cert-").FullName;
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var req = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=agent", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(Path.Combine(dir, "agent.pem"), cert.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, "agent-key.pem"), key.ExportPkcs8PrivateKeyPem());
            var (options, result) = AgentRoleParsing.Parse("--log-ship", "https://c:8443/", "--log-ship-cert-file", Path.Combine(dir, "agent.pem"), "--log-ship-key-file", Path.Combine(dir, "agent-key.pem"));
            var agent = AgentRoleParsing.Read(options, result);
            Assert.Equal(Path.Combine(dir, "agent.pem"), agent.LogShipCertFile);
            Assert.Equal(Path.Combine(dir, "agent-key.pem"), agent.LogShipKeyFile);
            Assert.Empty(agent.Validate());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
