using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Drover.Cli;

/// <summary>Reads an app definition file: Marathon JSON, or the same structure in YAML.</summary>
public static class AppFile
{
    public static JsonElement Read(string path)
    {
        string text;
        try { text = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path); }
        catch (IOException ex) { throw new CliException($"cannot read {path}: {ex.Message}"); }
        catch (UnauthorizedAccessException ex) { throw new CliException($"cannot read {path}: {ex.Message}"); }
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.Clone();
            }
            catch (JsonException ex) { throw new CliException($"{path}: invalid JSON: {ex.Message}"); }
        }
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count == 0) throw new CliException($"{path}: empty file");
            var node = Convert(yaml.Documents[0].RootNode);
            using var doc = JsonDocument.Parse(node?.ToJsonString() ?? "null");
            return doc.RootElement.Clone();
        }
        catch (YamlException ex) { throw new CliException($"{path}: invalid YAML at line {ex.Start.Line}: {ex.Message}"); }
    }

    /// <summary>YAML → JSON with plain scalars typed the YAML 1.2 core way (numbers, booleans, null); quoted scalars stay strings.</summary>
    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded) return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
