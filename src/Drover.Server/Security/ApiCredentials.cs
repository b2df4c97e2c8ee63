using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Security;

/// <summary>
/// The API token as each kind of client sends it: <c>Authorization: Bearer T</c> (the drover CLI, Nomad/Consul style),
/// Marathon's basic auth (<c>--http_credentials user:password</c>: the password, or the whole user:password, is the
/// token), <c>Authorization: token=T</c> (python3-marathon's auth_token), Consul's <c>X-Consul-Token</c> header and
/// <c>?token=</c> query.
/// </summary>
public static class ApiCredentials
{
    /// <summary>Every value the request offers as the token (none: it offers nothing).</summary>
    public static IReadOnlyList<string> Offered(HttpRequest req)
    {
        var offered = new List<string>(2);
        var auth = req.Headers.Authorization.ToString().Trim();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) offered.Add(auth[7..].Trim());
        else if (auth.StartsWith("token=", StringComparison.OrdinalIgnoreCase)) offered.Add(auth[6..].Trim());
        else if (auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && DecodeBasic(auth[6..].Trim()) is { } pair)
        {
            offered.Add(pair);
            var colon = pair.IndexOf(':');
            if (colon >= 0) offered.Add(pair[(colon + 1)..]);
        }
        foreach (var v in req.Headers["X-Consul-Token"]) if (!string.IsNullOrEmpty(v)) offered.Add(v);
        foreach (var v in req.Query["token"]) if (!string.IsNullOrEmpty(v)) offered.Add(v);
        return offered;
    }

    /// <summary>Whether any offered value is <paramref name="token"/>, comparing in constant time.</summary>
    public static bool Matches(IReadOnlyList<string> offered, string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        var ok = false;
        foreach (var o in offered) ok |= CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(o), expected);
        return ok;
    }

    private static string? DecodeBasic(string b64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
