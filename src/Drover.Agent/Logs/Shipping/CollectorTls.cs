using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// How the agent checks a tls:// or https:// collector's certificate: the system's trusted roots, or only the CA(s) of
/// <c>--log-ship-ca-file</c> (a private CA, as Logstash's and Vector's TLS inputs are usually set up). A rejected
/// certificate is described in words ("not trusted: UntrustedRoot …; trust its CA with --log-ship-ca-file") because
/// .NET's own message only says the callback refused it.
/// </summary>
public sealed class CollectorTls(X509Certificate2Collection? trustedCas)
{
    private volatile string? _lastRejection;

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
            throw new AuthenticationException($"TLS with the collector failed: {_lastRejection ?? auth.Message}", e);
        }
    }

    private static AuthenticationException? FindAuthentication(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is AuthenticationException a) return a;
        return null;
    }
}
