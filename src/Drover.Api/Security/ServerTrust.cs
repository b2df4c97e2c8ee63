using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Api.Security;

/// <summary>
/// How a client decides that an https:// server is the right one: the machine's CA bundle (any public
/// certificate), a CA file (<c>--ca FILE</c>), or a CA pinned by its digest (a drover1 join token, or
/// <c>--ca sha256:HEX</c>). A pinned CA is fetched from the server (<c>GET /v1/drover/ca</c>, as Rancher agents
/// fetch /cacerts and compare CATTLE_CA_CHECKSUM) and kept only if its digest matches; from then on every
/// server must present a certificate that chains to it and names the host the client connected to.
/// </summary>
/// <remarks>One instance per client: it remembers the CA it learned and why the last handshake was refused.</remarks>
public sealed class ServerTrust
{
    /// <summary>Where a server publishes its cluster CA (PEM), open to anyone: the digest check makes it safe.</summary>
    public const string CaPath = "/v1/drover/ca";

    private readonly SemaphoreSlim _learning = new(1, 1);
    private readonly string? _pin;
    private X509Certificate2Collection? _roots;
    private volatile string? _lastRefusal;

    private ServerTrust(X509Certificate2Collection? roots, string? pin, string description)
    {
        _roots = roots;
        _pin = pin;
        Description = description;
    }

    /// <summary>Certificates the machine trusts (its CA bundle).</summary>
    public static ServerTrust SystemRoots() => new(null, null, "the system's CA bundle");

    /// <summary>The CA certificate(s) in a PEM file.</summary>
    /// <exception cref="ArgumentException">The file is missing or holds no certificate.</exception>
    public static ServerTrust FromCaFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"cannot read the CA file '{path}': {e.Message}", e);
        }
        if (roots.Count == 0) throw new ArgumentException($"the CA file '{path}' holds no PEM certificate");
        return new ServerTrust(roots, null, $"the CA in {path}");
    }

    /// <summary>The cluster CA whose certificate has this sha256 digest (hex), learned from the server on first use.</summary>
    public static ServerTrust PinnedCa(string digest) => new(null, digest.ToLowerInvariant(), $"the CA pinned by sha256 {JoinToken.Short(digest)}");

    /// <summary>The trust a join token implies: its pinned CA, or the system's CA bundle for a bare secret.</summary>
    public static ServerTrust For(JoinToken token) => token.CaDigest is { } d ? PinnedCa(d) : SystemRoots();

    /// <summary>Parses a CLI value: <c>sha256:HEX</c> pins a CA digest; anything else is a PEM file.</summary>
    /// <exception cref="ArgumentException">Neither a valid digest nor a readable CA file.</exception>
    public static ServerTrust Parse(string value)
    {
        if (value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            var hex = value[7..];
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
                throw new ArgumentException($"'{value}' is not a CA digest: expected sha256:<64 hex digits>");
            return PinnedCa(hex);
        }
        return FromCaFile(value);
    }

    /// <summary>What is trusted, for messages.</summary>
    public string Description { get; }

    /// <summary>The pinned digest, or null.</summary>
    public string? PinnedDigest => _pin;

    /// <summary>
    /// A handler chain that applies this trust to https:// requests (plain http:// passes through). Failures surface as
    /// <see cref="ServerTrustException"/> naming the server and the reason.
    /// </summary>
    public HttpMessageHandler CreateHandler() => new TrustHandler(this, new SocketsHttpHandler
    {
        // one unreachable server must not eat a request's whole deadline before the next one is tried
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // redirects are the server list's business: it keeps the Authorization header and remembers the leader
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
    });

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "the server";
        if (certificate is not X509Certificate2 leaf) return Refuse("it presented no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return Refuse($"its certificate is not issued for '{host}' (it names {Names(leaf)}); join an address the certificate names, or give the server --advertise {host}");
        var roots = _roots;
        if (roots is null)
        {
            if (_pin is not null) return Refuse("the pinned CA is not known yet");
            return errors == SslPolicyErrors.None
                || Refuse($"its certificate ({leaf.Subject}, issued by {leaf.Issuer}) is not trusted by this machine; give its CA with --ca FILE or --ca sha256:DIGEST");
        }
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(roots);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null) own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        if (own.Build(leaf)) return true;
        var why = string.Join(", ", own.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return Refuse($"its certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to {Description}{(why.Length > 0 ? $" ({why})" : "")}");
    }

    private bool Refuse(string reason)
    {
        _lastRefusal = reason;
        return false;
    }

    private static string Names(X509Certificate2 cert)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var names = san is null ? [] : san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())).ToList();
        return names.Count == 0 ? cert.Subject : string.Join(", ", names);
    }

    /// <summary>Learns the pinned CA from <paramref name="origin"/> once; every later server is checked against it.</summary>
    private async Task EnsureCaAsync(Uri origin, CancellationToken ct)
    {
        if (_pin is null || Volatile.Read(ref _roots) is not null) return;
        await _learning.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_roots is not null) return;
            var ca = await FetchCaAsync(origin, ct).ConfigureAwait(false);
            var digest = JoinToken.DigestOf(ca);
            if (digest != _pin)
                throw new ServerTrustException(
                    $"the CA of {origin} (sha256 {JoinToken.Short(digest)}) is not the one the join token pins (sha256 {JoinToken.Short(_pin)}): " +
                    "the token belongs to another cluster, or something stands between this agent and the server");
            Volatile.Write(ref _roots, new X509Certificate2Collection(ca));
        }
        finally
        {
            _learning.Release();
        }
    }

    /// <summary>GET /v1/drover/ca without checking the certificate: what comes back is only used if its digest is the pinned one.</summary>
    private static async Task<X509Certificate2> FetchCaAsync(Uri origin, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        { Timeout = TimeSpan.FromSeconds(15) };
        HttpResponseMessage resp;
        try
        {
            resp = await http.GetAsync(new Uri(origin, CaPath), ct).ConfigureAwait(false);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"{origin} did not answer {CaPath} in time");
        }
        using (resp)
        {
            if (!resp.IsSuccessStatusCode)
                throw new ServerTrustException($"{origin} has no cluster CA to check against the join token's pin ({CaPath} answered {(int)resp.StatusCode}): is TLS on there (--tls-listen)?");
            var pem = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            try
            {
                return X509Certificate2.CreateFromPem(pem);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new ServerTrustException($"{origin} answered {CaPath} with something that is not a PEM certificate: {e.Message}");
            }
        }
    }

    /// <summary>Applies the trust: learns a pinned CA before the first https request, and words refused handshakes.</summary>
    private sealed class TrustHandler(ServerTrust trust, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var uri = request.RequestUri!;
            if (uri.Scheme != Uri.UriSchemeHttps) return await base.SendAsync(request, ct).ConfigureAwait(false);
            var origin = new Uri(uri.GetLeftPart(UriPartial.Authority));
            await trust.EnsureCaAsync(origin, ct).ConfigureAwait(false);
            try
            {
                return await base.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (IsHandshakeRefusal(e) && trust._lastRefusal is { } reason)
            {
                throw new ServerTrustException($"refusing {origin}: {reason}", e);
            }
        }

        private static bool IsHandshakeRefusal(Exception e)
        {
            for (Exception? x = e; x is not null; x = x.InnerException)
            {
                if (x is AuthenticationException) return true;
            }
            return false;
        }
    }
}

/// <summary>A server this client does not trust: wrong CA, a certificate for another name, or no CA to pin.</summary>
public sealed class ServerTrustException(string message, Exception? inner = null)
    : HttpRequestException(HttpRequestError.SecureConnectionError, message, inner);
