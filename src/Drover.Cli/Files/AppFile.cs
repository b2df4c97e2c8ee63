using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Cli.CommandLine;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Drover.Cli.Files;

/// <summary>
/// Reads a definition file: Marathon JSON, or the same structure in YAML. Syntax errors name the
/// file with a 1-based line and column in plain words.
/// </summary>
public static class AppFile
{
    public static JsonElement Read(string path, TextReader? stdin = null)
    {
        string text;
        try { text = path == "-" ? (stdin ?? Console.In).ReadToEnd() : File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {path}: {ex.Message}");
        }
        var name = path == "-" ? "<stdin>" : path;
        return Parse(text, name);
    }

    public static JsonElement Parse(string text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new CliException($"{name}: the file is empty");
        var trimmed = text.TrimStart();
        return trimmed.StartsWith('{') || trimmed.StartsWith('[') ? ParseJson(text, name) : ParseYaml(text, name);
    }

    private static JsonElement ParseJson(string text, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            var line = (int)(ex.LineNumber ?? 0);
            var column = CharColumn(text, line, (int)(ex.BytePositionInLine ?? 0));
            throw new CliException($"{name}: invalid JSON at line {line + 1}, column {column + 1}: {Plain(ex.Message)}");
        }
    }

    /// <summary>System.Text.Json's message without its "Path: $ | LineNumber: …" tail, worded for people.</summary>
    private static string Plain(string message)
    {
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (cut < 0 ? message : message[..cut]).Trim().TrimEnd('.');
        return text
            .Replace("Expected either ',', '}', or ']'", "expected ',' or a closing '}' or ']'", StringComparison.Ordinal)
            .Replace("Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed", "the file ends before every '{' or '[' is closed", StringComparison.Ordinal)
            .Replace("is an invalid start of a property name. Expected a '\"'", "cannot start a field name (field names need double quotes)", StringComparison.Ordinal)
            .Replace("is an invalid start of a value", "cannot start a value (strings need double quotes)", StringComparison.Ordinal);
    }

    /// <summary>The 0-based character column of a 0-based UTF-8 byte position in line <paramref name="line"/>.</summary>
    private static int CharColumn(string text, int line, int bytePosition)
    {
        var lines = text.Split('\n');
        if (line >= lines.Length) return bytePosition;
        var bytes = Encoding.UTF8.GetBytes(lines[line]);
        return Encoding.UTF8.GetCharCount(bytes, 0, Math.Min(bytePosition, bytes.Length));
    }

    private static JsonElement ParseYaml(string text, string name)
    {
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count == 0) throw new CliException($"{name}: the file is empty");
            var node = Convert(yaml.Documents[0].RootNode);
            using var doc = JsonDocument.Parse(node?.ToJsonString() ?? "null");
            return doc.RootElement.Clone();
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException is YamlException i ? i.Message : ex.Message;
            var detail = inner.StartsWith("(Line:", StringComparison.Ordinal) && inner.IndexOf("): ", StringComparison.Ordinal) is var p and > 0 ? inner[(p + 3)..] : inner;
            if (detail.StartsWith("Duplicate key ", StringComparison.Ordinal)) detail = $"duplicate key '{detail[14..]}'";
            throw new CliException($"{name}: invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {detail.Trim().TrimEnd('.')}");
        }
    }

    /// <summary>YAML → JSON with plain scalars typed the YAML 1.2 core way (numbers, booleans, null); quoted scalars stay strings.</summary>
    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => Mapping(m),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonObject Mapping(YamlMappingNode m)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in m.Children)
        {
            var key = Key(k);
            if (obj.ContainsKey(key)) throw new YamlException(k.Start, k.End, $"duplicate key '{key}'");
            obj[key] = Convert(v);
        }
        return obj;
    }

    private static string Key(YamlNode key) => key is YamlScalarNode s
        ? s.Value ?? ""
        : throw new YamlException(key.Start, key.End, "a mapping key must be a plain value, not a list or a mapping");

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded) return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
