using System.Text;
using System.Text.Json;
using Drover.Agent.Docker;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// Credentials for a private registry, found as Mesos finds them for Marathon apps: a Docker client config
/// fetched into the sandbox through the app's <c>uris</c>/<c>fetch</c> (Marathon's documented recipe is a
/// docker.tar.gz holding .docker/config.json), either .docker/config.json ({"auths": {"host:port": {"auth":
/// base64("user:password")}}}) or the older .dockercfg ({"host:port": {"auth": ...}}).
/// </summary>
public static class DockerConfigAuth
{
    public static readonly IReadOnlyList<string> Files = [Path.Combine(".docker", "config.json"), ".dockercfg", "config.json"];

    /// <summary>The credentials for <paramref name="registry"/> in the sandbox's config, or null when it has none.</summary>
    /// <exception cref="TaskLaunchException">A config file is there but cannot be read.</exception>
    public static RegistryAuth? Find(string sandbox, string registry)
    {
        foreach (var name in Files)
        {
            var path = Path.Combine(sandbox, name);
            if (!File.Exists(path)) continue;
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TaskLaunchException($"cannot read the registry credentials in {name}: {e.Message}", e);
            }
            if (FromConfig(text, registry, name) is { } auth) return auth;
        }
        return null;
    }

    /// <summary>The entry for <paramref name="registry"/> in a config.json or .dockercfg text; null when there is none.</summary>
    public static RegistryAuth? FromConfig(string json, string registry, string fileName = "config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new TaskLaunchException($"the registry credentials in {fileName} are not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var auths = doc.RootElement.TryGetProperty("auths", out var a) && a.ValueKind == JsonValueKind.Object ? a : doc.RootElement;
            var wanted = Normalize(registry);
            foreach (var entry in auths.EnumerateObject())
            {
                if (Normalize(entry.Name) != wanted || entry.Value.ValueKind != JsonValueKind.Object) continue;
                return Decode(entry.Value, registry, fileName);
            }
            return null;
        }
    }

    private static RegistryAuth Decode(JsonElement entry, string registry, string fileName)
    {
        string? user = null, password = null;
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            string plain;
            try
            {
                plain = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException e)
            {
                throw new TaskLaunchException($"the credentials for {registry} in {fileName} are not base64 of user:password", e);
            }
            var colon = plain.IndexOf(':');
            if (colon < 0) throw new TaskLaunchException($"the credentials for {registry} in {fileName} are not base64 of user:password");
            (user, password) = (plain[..colon], plain[(colon + 1)..]);
        }
        if (entry.TryGetProperty("username", out var u) && u.ValueKind == JsonValueKind.String) user = u.GetString();
        if (entry.TryGetProperty("password", out var p) && p.ValueKind == JsonValueKind.String) password = p.GetString();
        if (user is null) throw new TaskLaunchException($"the credentials for {registry} in {fileName} have no user name");
        return new RegistryAuth { Username = user, Password = password ?? "", ServerAddress = registry };
    }

    /// <summary>"https://127.0.0.1:5000/v2/" and "127.0.0.1:5000" are the same registry; Docker Hub has several names.</summary>
    public static string Normalize(string registry)
    {
        var r = registry.Trim();
        var scheme = r.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) r = r[(scheme + 3)..];
        var slash = r.IndexOf('/');
        if (slash >= 0) r = r[..slash];
        r = r.ToLowerInvariant();
        return r is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? ImageReference.DockerHub : r;
    }
}
