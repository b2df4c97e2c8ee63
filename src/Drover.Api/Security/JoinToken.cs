using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Drover.Api.Security;

/// <summary>
/// The token an agent joins a cluster with. Two forms:
/// <list type="bullet">
/// <item><c>drover1-&lt;sha256 of the cluster CA certificate (DER), 64 lowercase hex&gt;-&lt;secret&gt;</c>, as Docker swarm's
/// <c>SWMTKN-1-&lt;CA digest&gt;-&lt;secret&gt;</c>: besides the secret it pins the CA, so an agent given only a server URL and
/// this token can tell the cluster's servers from anybody else before it sends the secret.</item>
/// <item>anything else: a bare secret, without a pin (an operator's own <c>--token</c>, or a server without TLS).</item>
/// </list>
/// Only the secret is ever sent to the server (as a bearer token); the digest is not secret.
/// </summary>
public sealed record JoinToken(string Secret, string? CaDigest)
{
    public const string Prefix = "drover1-";
    private const int DigestLength = 64;

    /// <summary>The printable token: the drover1 form when a CA is pinned, else the bare secret.</summary>
    public override string ToString() => CaDigest is null ? Secret : $"{Prefix}{CaDigest}-{Secret}";

    /// <summary>128 random bits as 32 hex digits: easy to copy, nothing to escape in a shell.</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool TryParse(string? text, out JoinToken token, out string error)
    {
        token = new JoinToken("", null);
        error = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "the join token is empty";
            return false;
        }
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            token = new JoinToken(text, null);
            return true;
        }
        var rest = text[Prefix.Length..];
        if (rest.Length < DigestLength + 2 || rest[DigestLength] != '-' || !IsHex(rest.AsSpan(0, DigestLength)))
        {
            error = $"'{Abbreviate(text)}' is not a valid join token: expected {Prefix}<64 hex digits of the CA's sha256>-<secret>";
            return false;
        }
        token = new JoinToken(rest[(DigestLength + 1)..], rest[..DigestLength].ToLowerInvariant());
        return true;
    }

    public static JoinToken Parse(string text) =>
        TryParse(text, out var token, out var error) ? token : throw new FormatException(error);

    /// <summary>Whether <paramref name="presented"/> (a bare secret, or a whole token) carries this token's secret. Constant time.</summary>
    public bool Accepts(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || !TryParse(presented, out var other, out _)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(other.Secret), Encoding.UTF8.GetBytes(Secret));
    }

    /// <summary>The digest a drover1 token pins: sha256 of the certificate's DER bytes, lowercase hex (as `openssl x509 -outform der | sha256sum`).</summary>
    public static string DigestOf(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>A digest shortened for messages: enough to tell two apart, short enough to read.</summary>
    public static string Short(string digest) => digest.Length > 16 ? digest[..16] + "…" : digest;

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return true;
    }

    private static string Abbreviate(string s) => s.Length > 24 ? s[..24] + "…" : s;
}
