using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>A private CA made in the test, issuing a server certificate for 127.0.0.1 and client certificates (nothing from disk or the network).</summary>
public sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private int _serial;

    public TestPki(string name = "drover test CA")
    {
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public X509Certificate2 Ca { get; }

    /// <summary>A certificate for 127.0.0.1 with its key, for a TLS server.</summary>
    public X509Certificate2 Server() => Issue("CN=127.0.0.1", ServerAuth, loopback: true).Certificate;

    /// <summary>A client certificate, written as PEM files: the certificate and its PKCS#8 key.</summary>
    public (string CertFile, string KeyFile) WriteClient(string dir, string subject = "CN=drover agent")
    {
        var (cert, key) = Issue(subject, ClientAuth, loopback: false);
        using (cert)
        using (key)
        {
            var certFile = Path.Combine(dir, "client.pem");
            var keyFile = Path.Combine(dir, "client-key.pem");
            File.WriteAllText(certFile, cert.ExportCertificatePem());
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            return (certFile, keyFile);
        }
    }

    private (X509Certificate2 Certificate, ECDsa Key) Issue(string subject, Oid usage, bool loopback)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (loopback)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        using var signed = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddHours(12), [(byte)++_serial, 7]);
        // an ephemeral key cannot serve TLS on Linux as is: round-trip through PKCS#12
        return (X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null), key);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to this CA (what a collector requiring client certificates checks).</summary>
    public bool Signed(X509Certificate? certificate)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var cert = new X509Certificate2(certificate);
        return chain.Build(cert);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }
}
