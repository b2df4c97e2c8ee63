using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

public static class RequestReading
{
    /// <summary>Reads the request body as one JSON document of at most 16 MiB; malformed JSON is a 400 naming the position.</summary>
    public static Task<JsonElement> ReadJsonAsync(this HttpRequest req, CancellationToken ct) => req.ReadJsonAsync(BodyLimits.Json, ct);

    /// <summary>
    /// Reads the request body as one JSON document. A body over <paramref name="limit"/> is a 413: at
    /// once when Content-Length says so, else as soon as reading passes the limit, so an endless
    /// body is never buffered. (Kestrel drains what the client still sends, so it reads the answer.)
    /// </summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpRequest req, BodyLimit limit, CancellationToken ct)
    {
        if (req.ContentLength is { } declared && declared > limit.Bytes) throw limit.TooLarge(declared);
        using var ms = new MemoryStream(req.ContentLength is { } n ? (int)n : 0);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await req.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + read > limit.Bytes) throw limit.TooLarge(null);
            ms.Write(buffer, 0, read);
        }
        if (ms.Length == 0) throw ApiException.BadRequest("Invalid JSON: the request body is empty");
        var json = ms.GetBuffer().AsMemory(0, (int)ms.Length);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (InvalidEscape(json.Span) is { } problem) throw new ApiException(400, "Invalid JSON", [new Api.Marathon.ErrorDetail("/", [problem])]);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ApiException(400, "Invalid JSON", [new Api.Marathon.ErrorDetail("/", [ex.Message])]);
        }
    }

    /// <summary>
    /// System.Text.Json parses escapes that are not valid UTF-16 (a lone \uD800) and throws only
    /// when the string is read, deep in validation or even after a write: every JSON body reader
    /// (Marathon's and Consul's) refuses them with the parse. Null when the text is fine.
    /// </summary>
    public static string? InvalidEscape(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException ex)
            {
                return $"{ex.Message} (at byte {reader.TokenStartIndex})";
            }
        }
        return null;
    }

    /// <summary>Marathon's boolean query parsing: case-insensitive "true" (python sends True/False); anything else is false.</summary>
    public static bool Flag(this HttpRequest req, string name, bool defaultValue = false)
    {
        if (!req.Query.TryGetValue(name, out var v) || v.Count == 0) return defaultValue;
        var s = v[0];
        if (string.IsNullOrEmpty(s)) return true;
        return string.Equals(s, "true", StringComparison.OrdinalIgnoreCase) || s == "1";
    }

    /// <summary>All values of a repeatable query parameter, also split on commas.</summary>
    public static IReadOnlyList<string> Multi(this HttpRequest req, string name) =>
        req.Query.TryGetValue(name, out var v)
            ? v.SelectMany(x => (x ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : [];
}
