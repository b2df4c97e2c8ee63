using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drover.Server.Tests;

/// <summary>
/// Write bodies that are valid JSON but hostile in what the schema, the dependency graph and the
/// limits see: random field names (quotes, control characters, lone surrogates, 5,000 characters),
/// dependency cycles, ids too long for DNS or task ids, and bodies just over the app size limit.
/// </summary>
public static class FuzzBodies
{
    private const string Tricky = "\"\\'/\u0000\u0001\t\n\u007f\u00e9\u2603\ud83d\ude00\ud800\udfff ";

    /// <summary>Hand-made hostile bodies; every app has 0 instances, so what is accepted deploys at once.</summary>
    public static IEnumerable<string> Fixed()
    {
        string App(string id, string extra = "") => $$"""{"id":"{{id}}","cmd":"x","instances":0{{extra}}}""";
        yield return App("/s", ""","bad\ud800name":1""");  // a lone surrogate escape in a name: parsed, but unreadable as a string
        yield return """{"id":"/s","cmd":"\udfff","instances":0}""";
        yield return App("/self", ""","dependencies":["/self"]""");
        yield return App("/g/in", ""","dependencies":["/g"]""");
        yield return """{"id":"/cyc","apps":[{"id":"a","cmd":"x","instances":0,"dependencies":["b"]},{"id":"b","cmd":"x","instances":0,"dependencies":["a"]}]}""";
        yield return """{"id":"/loop","dependencies":["/loop"],"apps":[{"id":"a","cmd":"x","instances":0}]}""";
        yield return """{"id":"/n","groups":[{"id":"x","dependencies":["/n/y"]},{"id":"y","dependencies":["/n/x"]}]}""";
        yield return App("/" + new string('a', 5000));
        yield return App("/" + string.Join('/', Enumerable.Repeat(new string('b', 63), 3)));
        yield return App("/" + new string('c', 40) + "/" + new string('d', 40));
        yield return App("/w", ""","labels":{"DROVER_SERVICE_NAME":"not a label"}""");
        yield return App("/w", ""","labels":{"DROVER_FAILOVER":"a,b"}""".Replace("/w", "/" + new string('f', 62)));
        yield return $$"""{"id":"/{{new string('g', 64)}}","apps":[]}""";
        yield return $$"""{"id":"/ok","groups":[{"id":"{{new string('h', 70)}}"}]}""";
        yield return "{\"id\":\"/big\",\"instances\":0,\"cmd\":\"" + new string('c', 1024 * 1024) + "\"}";
        yield return "{\"id\":\"/bg\",\"apps\":[{\"id\":\"a\",\"instances\":0,\"cmd\":\"" + new string('c', 1024 * 1024) + "\"}]}";
        yield return "{\"id\":\"/deep\"" + string.Concat(Enumerable.Repeat(",\"groups\":[{\"id\":\"" + new string('s', 60) + "\"", 20)) + new string('}', 1) + string.Concat(Enumerable.Repeat("]}", 20));
    }

    /// <summary>An app or group definition, valid or nearly, with random extra fields in random places.</summary>
    public static string Random(Random rng)
    {
        var app = new JsonObject
        {
            ["id"] = rng.Next(4) == 0 ? RandomName(rng) : $"/f{rng.Next(5)}",
            ["cmd"] = "x",
            ["instances"] = 0,
            ["healthChecks"] = new JsonArray(new JsonObject { ["protocol"] = "TCP" }),
            ["container"] = new JsonObject { ["docker"] = new JsonObject { ["image"] = "i" } },
            ["dependencies"] = new JsonArray(rng.Next(3) == 0 ? $"/f{rng.Next(5)}" : "/elsewhere"),
        };
        JsonObject body = rng.Next(3) == 0 ? new JsonObject { ["id"] = $"/fg{rng.Next(3)}", ["apps"] = new JsonArray(PrefixIds(app)) } : app;
        for (var i = rng.Next(1, 30); i > 0; i--)
        {
            var target = Pick(body, rng);
            target[RandomName(rng)] = rng.Next(3) switch { 0 => 1, 1 => RandomName(rng), _ => new JsonObject { [RandomName(rng)] = true } };
        }
        var sb = new StringBuilder();
        Write(body, sb, rawUnicode: rng.Next(2) == 0);
        return sb.ToString();
    }

    /// <summary>
    /// JSON text by hand: System.Text.Json refuses to write lone surrogates, which a hostile client
    /// can still send as \uD800 escapes. Valid non-ASCII goes out raw (UTF-8) or escaped.
    /// </summary>
    private static void Write(JsonNode? node, StringBuilder sb, bool rawUnicode)
    {
        switch (node)
        {
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in o)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(k, sb, rawUnicode);
                    sb.Append(':');
                    Write(v, sb, rawUnicode);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(a[i], sb, rawUnicode);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.TryGetValue<string>(out var str):
                WriteString(str, sb, rawUnicode);
                break;
            default:
                sb.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }

    private static void WriteString(string s, StringBuilder sb, bool rawUnicode)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var validPair = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
            if (c is '"' or '\\') sb.Append('\\').Append(c);
            else if (c is >= ' ' and <= '~') sb.Append(c);
            else if (rawUnicode && validPair) sb.Append(c).Append(s[++i]);
            else if (rawUnicode && c > '~' && !char.IsSurrogate(c)) sb.Append(c);
            else sb.Append($"\\u{(int)c:x4}");
        }
        sb.Append('"');
    }

    private static JsonObject PrefixIds(JsonObject app)
    {
        app["id"] = "a";
        return app;
    }

    private static JsonObject Pick(JsonObject body, Random rng)
    {
        var objects = new List<JsonObject>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o) { objects.Add(o); foreach (var (_, v) in o.ToList()) Walk(v); }
            else if (n is JsonArray a) foreach (var v in a.ToList()) Walk(v);
        }
        Walk(body);
        return objects[rng.Next(objects.Count)];
    }

    private static string RandomName(Random rng)
    {
        var length = rng.Next(10) == 0 ? rng.Next(1000, 5000) : rng.Next(1, 20);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(rng.Next(4) switch
            {
                0 => Tricky[rng.Next(Tricky.Length)],
                1 => (char)rng.Next(0, 0x10000),
                _ => (char)rng.Next('a', 'z' + 1),
            });
        }
        return sb.ToString();
    }
}
