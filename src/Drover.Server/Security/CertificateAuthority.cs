using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Server.Security;

/// <summary>
/// The CA a server generates when TLS is on and no certificate was given (as Rancher did): ECDSA P-256, ten years,
/// allowed to sign server certificates only (path length 0). Pure: keys and certificates in, keys and certificates out.
/// </summary>
public static class CertificateAuthority
{
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    /// <summary>Server certificates are issued afresh at every start, so this only bounds a server that runs this long without a restart.</summary>
    public static readonly TimeSpan ServerLifetime = TimeSpan.FromDays(825);
    // clocks of agents a little behind the server's must not see a certificate from the future
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    public static X509Certificate2 CreateCa(DateTimeOffset now, string name = "Drover cluster CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=Drover"), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, critical: false));
        return req.CreateSelfSigned(now - Backdate, now + CaLifetime);
    }

    /// <summary>A server certificate signed by <paramref name="ca"/> (which must hold its private key) for these names and addresses.</summary>
    public static X509Certificate2 IssueServer(X509Certificate2 ca, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName("CN=drover server, O=Drover"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase)) san.AddDnsName(name);
        foreach (var address in addresses.Distinct()) san.AddIpAddress(address);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, critical: false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var notAfter = now + ServerLifetime < ca.NotAfter ? now + ServerLifetime : new DateTimeOffset(ca.NotAfter);
        using var signed = req.Create(ca, now - Backdate, notAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    public static (string CertificatePem, string KeyPem) ExportPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static X509Certificate2 ImportPem(string certificatePem, string keyPem) => X509Certificate2.CreateFromPem(certificatePem, keyPem);

    /// <summary>Whether <paramref name="leaf"/> chains to <paramref name="ca"/> (and nothing else).</summary>
    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 ca, IEnumerable<X509Certificate2>? intermediates = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var c in intermediates ?? []) chain.ChainPolicy.ExtraStore.Add(c);
        return chain.Build(leaf);
    }
}
