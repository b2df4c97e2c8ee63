using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Drover.Server.Ui;

/// <summary>One file of the dashboard: its bytes, content type and a strong ETag (a digest of the bytes).</summary>
public sealed record UiAsset(string Name, byte[] Content, string ContentType, string ETag);

/// <summary>
/// The dashboard's static files, embedded in the server assembly (Ui/wwwroot, see the csproj), so the one published
/// binary serves them and nothing is read from disk or the network at run time.
/// </summary>
public sealed class UiAssets
{
    public const string ResourcePrefix = "ui/";
    public const string IndexName = "index.html";

    private readonly FrozenDictionary<string, UiAsset> _assets;

    private UiAssets(FrozenDictionary<string, UiAsset> assets) => _assets = assets;

    public static UiAssets Embedded { get; } = Load(typeof(UiAssets).Assembly);

    public UiAsset Index => _assets[IndexName];

    public IEnumerable<string> Names => _assets.Keys;

    public bool TryGet(string name, out UiAsset asset) => _assets.TryGetValue(name, out asset!);

    public static UiAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, UiAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            assets[name] = new UiAsset(name, bytes, ContentTypeOf(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
        }
        if (!assets.ContainsKey(IndexName)) throw new InvalidOperationException($"the dashboard's {IndexName} is not embedded in {assembly.GetName().Name}");
        return new UiAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        ".txt" or ".md" => "text/plain; charset=utf-8",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
}
