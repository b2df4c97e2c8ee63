using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography.X509Certificates;
using Drover.Api.Security;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Security;

/// <summary>
/// Who may talk to this server, settled once at start: the join token agents present, the TLS certificate of the
/// HTTPS listener with the CA it chains to (published at /v1/drover/ca and pinned by the token), and the API token.
/// </summary>
public sealed class ServerSecurity
{
    public const string JoinTokenFileName = "join-token";
    public const string CaFileName = "tls/ca.crt";

    private ServerSecurity(ServerOptions options) => Options = options;

    private ServerOptions Options { get; }

    /// <summary>The cluster's id, created once in the store (create-only) so every server of the cluster reports the same one.</summary>
    public string ClusterId { get; private init; } = "";
    /// <summary>The token agents join with (its secret is what they must present); null: agents are not checked.</summary>
    public JoinToken? Join { get; private init; }
    /// <summary>The HTTPS listener's certificate (with its private key); null when TLS is off.</summary>
    public X509Certificate2? TlsCertificate { get; private init; }
    /// <summary>Certificates sent after the server's own in the handshake (intermediates of a given certificate).</summary>
    public X509Certificate2Collection TlsChain { get; private init; } = [];
    /// <summary>The CA agents pin: the generated one, or --tls-ca. Null without TLS, or with a certificate but no CA given.</summary>
    public X509Certificate2? Ca { get; private init; }
    public bool CaGenerated { get; private init; }
    /// <summary>Where the full join token and the CA certificate were written for operators (null: in memory, or nothing to write).</summary>
    public string? JoinTokenFile { get; private init; }
    public string? CaFile { get; private init; }
    /// <summary>The HTTPS base URL, once Kestrel has bound it.</summary>
    public Uri? TlsUrl { get; internal set; }

    public bool TlsEnabled => TlsCertificate is not null;
    public string? ApiToken => Options.ApiToken;
    public bool ApiTokenForReads => Options.ApiTokenForReads;

    /// <summary>Reads (or, on first start, generates and stores) the cluster's join secret and CA, and issues this server's certificate.</summary>
    /// <exception cref="ArgumentException">A given certificate, key or CA cannot be used, or --token pins another CA.</exception>
    public static async Task<ServerSecurity> LoadAsync(ServerOptions options, IStateStore store, string? dataDir, TimeProvider time, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            var stored = store.Current.Get(Schema.ClusterTrust, ClusterTrustRecord.Key);
            var record = stored ?? new ClusterTrustRecord();
            JoinToken? given = null;
            if (options.AgentToken is { } t && !JoinToken.TryParse(t, out given, out var error)) throw new ArgumentException($"--token: {error}");
            if (record.ClusterId is null) record = record with { ClusterId = Guid.NewGuid().ToString("D") };
            var secret = given?.Secret;
            if (secret is null && options.GenerateJoinToken)
            {
                if (record.JoinSecret is null) record = record with { JoinSecret = JoinToken.NewSecret() };
                secret = record.JoinSecret;
            }

            X509Certificate2? leaf = null, ca = null;
            X509Certificate2Collection chain = [];
            var generated = false;
            if (options.TlsListen is not null)
            {
                if (options.TlsCertFile is not null)
                {
                    (leaf, chain, ca) = LoadGiven(options);
                }
                else
                {
                    if (record.CaCertificatePem is null || record.CaKeyPem is null)
                    {
                        using var fresh = CertificateAuthority.CreateCa(now);
                        var (certPem, keyPem) = CertificateAuthority.ExportPem(fresh);
                        record = record with { CaCertificatePem = certPem, CaKeyPem = keyPem };
                    }
                    using var caWithKey = CertificateAuthority.ImportPem(record.CaCertificatePem, record.CaKeyPem!);
                    ca = X509Certificate2.CreateFromPem(record.CaCertificatePem);
                    var (names, addresses) = SubjectNames(options);
                    leaf = CertificateAuthority.IssueServer(caWithKey, names, addresses, now);
                    generated = true;
                }
            }

            if (record != (stored ?? new ClusterTrustRecord()))
            {
                try
                {
                    // expected index 0 on first write: of two servers starting together on one store, one wins and the other reads its secrets
                    var expected = stored is null ? 0 : store.Current.Entry(Schema.ClusterTrust.Name, ClusterTrustRecord.Key)?.ModifyIndex;
                    await store.ApplyAsync([StateOp.Put(Schema.ClusterTrust, ClusterTrustRecord.Key, record, expected)], ct).ConfigureAwait(false);
                }
                catch (PreconditionFailedException) when (attempt < 3)
                {
                    continue;
                }
            }

            var digest = ca is null ? null : JoinToken.DigestOf(ca);
            if (given?.CaDigest is { } pinned && digest is not null && pinned != digest)
                throw new ArgumentException($"--token pins the CA sha256 {JoinToken.Short(pinned)}, but this server's CA is sha256 {JoinToken.Short(digest)}: give the token this cluster printed, or just its secret");
            var join = secret is null ? null : new JoinToken(secret, digest);
            var security = new ServerSecurity(options)
            {
                ClusterId = record.ClusterId,
                Join = join,
                TlsCertificate = leaf,
                TlsChain = chain,
                Ca = ca,
                CaGenerated = generated,
                JoinTokenFile = dataDir is not null && join is not null ? Path.Combine(dataDir, JoinTokenFileName) : null,
                CaFile = dataDir is not null && ca is not null ? Path.Combine(dataDir, CaFileName) : null,
            };
            security.WriteOperatorFiles();
            return security;
        }
    }

    /// <summary>The full join token (0600: it is a secret) and the CA certificate (for clients' --ca), next to the store.</summary>
    private void WriteOperatorFiles()
    {
        if (JoinTokenFile is not null) SecretFiles.Write(JoinTokenFile, Join + "\n", secret: true);
        if (CaFile is not null) SecretFiles.Write(CaFile, Ca!.ExportCertificatePem() + "\n", secret: false);
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain, X509Certificate2? Ca) LoadGiven(ServerOptions o)
    {
        X509Certificate2 leaf;
        var all = new X509Certificate2Collection();
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(o.TlsCertFile!, o.TlsKeyFile);
            all.ImportFromPemFile(o.TlsCertFile!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"--tls-cert {o.TlsCertFile} / --tls-key {o.TlsKeyFile}: {e.Message}", e);
        }
        var chain = new X509Certificate2Collection();
        foreach (var c in all.Skip(1)) chain.Add(c);
        if (o.TlsCaFile is null) return (leaf, chain, null);
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(o.TlsCaFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"--tls-ca {o.TlsCaFile}: {e.Message}", e);
        }
        if (cas.Count == 0) throw new ArgumentException($"--tls-ca {o.TlsCaFile} holds no PEM certificate");
        var ca = cas[0];
        if (!CertificateAuthority.ChainsTo(leaf, ca, [.. chain, .. cas.Skip(1)]))
            throw new ArgumentException($"--tls-cert {o.TlsCertFile} ({leaf.Subject}) is not signed by --tls-ca {o.TlsCaFile} ({ca.Subject})");
        return (leaf, chain, ca);
    }

    /// <summary>
    /// Every name agents and clients may use for this server: localhost, the host name, the advertise address, the
    /// listen addresses, and every local address when listening on all of them.
    /// </summary>
    public static (IReadOnlyList<string> Names, IReadOnlyList<IPAddress> Addresses) SubjectNames(ServerOptions o)
    {
        var names = new List<string> { "localhost", Environment.MachineName };
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (o.Advertise is { } adv)
        {
            if (IPAddress.TryParse(adv, out var a)) addresses.Add(a);
            else names.Add(adv);
        }
        var any = false;
        foreach (var ep in new[] { o.ListenEndPoint(), o.TlsListen is null ? null : ServerOptions.ParseEndPoint(o.TlsListen) })
        {
            if (ep is null) continue;
            if (ep.Address.Equals(IPAddress.Any) || ep.Address.Equals(IPAddress.IPv6Any)) any = true;
            else addresses.Add(ep.Address);
        }
        if (any) addresses.AddRange(LocalAddresses());
        return (names.Where(IsDnsName).ToList(), addresses);
    }

    private static bool IsDnsName(string n) => Uri.CheckHostName(n) == UriHostNameType.Dns;

    private static IEnumerable<IPAddress> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => !a.IsIPv6LinkLocal)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
