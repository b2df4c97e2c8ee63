using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// How the agent checks a tls:// or https:// collector's certificate: the system's trusted roots, or only the CA(s) of
/// <c>--log-ship-ca-file</c> (a private CA, as Logstash's and Vector's TLS inputs are usually set up). A rejected
/// certificate is described in words ("not trusted: UntrustedRoot …; trust its CA with --log-ship-ca-file") because
/// .NET's own message only says the callback refused it. With <c>--log-ship-cert-file</c>/<c>--log-ship-key-file</c> the
/// agent proves itself with a client certificate, as Logstash's <c>ssl_client_authentication => required</c> and
/// Vector's <c>tls.verify_certificate</c> ask; a collector that asks for one the agent does not have is refused by the
/// agent with that reason, rather than writing lines the collector would throw away.
/// </summary>
public sealed class CollectorTls(X509Certificate2Collection? trustedCas, X509Certificate2? clientCertificate = null)
{
    private volatile string? _lastRejection;
    private volatile bool _clientCertificateAsked;

    /// <summary>The agent's certificate for collectors that ask for one; null: none.</summary>
    public X509Certificate2? ClientCertificate => clientCertificate;

    /// <summary>
    /// Loads a PEM certificate and its PEM private key (PKCS#8, or the RSA/EC forms); the error names the file that is
    /// missing, unreadable or not PEM, or says the key is not the certificate's.
    /// </summary>
    public static bool TryLoadClientCertificate(string certFile, string keyFile, out X509Certificate2? certificate, out string error)
    {
        certificate = null;
        error = "";
        foreach (var (path, option) in new[] { (certFile, "logShipCertFile"), (keyFile, "logShipKeyFile") })
        {
            try
            {
                using var _ = File.OpenRead(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"{option}: '{path}' cannot be read: {e.Message}";
                return false;
            }
        }
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // a key loaded from PEM is ephemeral; TLS on some platforms needs it in a store-like form: round-trip through PKCS#12
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            return true;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            error = $"logShipCertFile: '{certFile}' with the key in '{keyFile}' is not a usable PEM certificate and private key: {e.Message}";
            return false;
        }
    }

    /// <summary>For the TLS client: the agent's certificate when the collector asks; remembers that it asked.</summary>
    public X509Certificate? SelectClientCertificate(object sender, string targetHost, X509CertificateCollection localCertificates, X509Certificate? remoteCertificate, string[] acceptableIssuers)
    {
        // OpenSSL calls this only when the collector sent a CertificateRequest
        if (remoteCertificate is not null) _clientCertificateAsked = true;
        return clientCertificate;
    }

    /// <summary>After a handshake: a collector that asked for a client certificate the agent does not have would drop every line.</summary>
    public void CheckClientCertificate()
    {
        if (_clientCertificateAsked && clientCertificate is null) throw new AuthenticationException(MissingClientCertificate);
    }

    private const string MissingClientCertificate =
        "TLS with the collector failed: the collector asks for a client certificate and the agent has none; give it with --log-ship-cert-file and --log-ship-key-file";

    /// <summary>Loads the PEM file of CA certificates; the error names the file and what is wrong with it.</summary>
    public static bool TryLoadCaFile(string path, out X509Certificate2Collection cas, out string error)
    {
        cas = [];
        error = "";
        try
        {
            cas.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            error = $"'{path}' cannot be read as PEM certificates: {e.Message}";
            return false;
        }
        if (cas.Count == 0)
        {
            error = $"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
            return false;
        }
        return true;
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var rejection = Check(certificate, chain, errors);
        _lastRejection = rejection;
        return rejection is null;
    }

    private string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "the collector sent no certificate";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the collector's certificate ({certificate.Subject}) is not for the host name or address in --log-ship";
        if (trustedCas is null)
        {
            return errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors)
                ? $"the collector's certificate ({certificate.Subject}) is not trusted: {Statuses(chain)}; trust its CA with --log-ship-ca-file"
                : null;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trustedCas);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var cert = new X509Certificate2(certificate);
        return custom.Build(cert) ? null
            : $"the collector's certificate ({certificate.Subject}) is not signed by a CA of --log-ship-ca-file: {Statuses(custom)}";
    }

    private static string Statuses(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0 ? "no chain to a trusted root"
        : string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}").Distinct());

    /// <summary>
    /// Runs a connect or send; a TLS handshake the certificate check refused is rethrown with the reason in words
    /// (the sender logs the message once per failure streak).
    /// </summary>
    public async Task<T> ExplainAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (FindAuthentication(e) is { } auth)
        {
            if (auth.Message == MissingClientCertificate) throw;
            throw new AuthenticationException($"TLS with the collector failed: {_lastRejection ?? auth.Message}", e);
        }
        catch (Exception e) when (_clientCertificateAsked && clientCertificate is null && e is IOException or HttpRequestException)
        {
            // the collector closed the connection after asking for a certificate it did not get (TLS 1.3 does it after the handshake)
            throw new AuthenticationException(MissingClientCertificate, e);
        }
    }

    private static AuthenticationException? FindAuthentication(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is AuthenticationException a) return a;
        return null;
    }
}
