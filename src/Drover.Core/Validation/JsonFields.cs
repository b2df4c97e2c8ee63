using System.Text.Json;

namespace Drover.Core.Validation;

/// <summary>
/// Typed reads from a JsonElement object that record a clear error (with the field's path) instead
/// of throwing, so one request reports every bad field at once.
/// </summary>
public readonly struct JsonFields(JsonElement obj, string path, ValidationErrors errors)
{
    public string Path { get; } = path;
    public ValidationErrors Errors { get; } = errors;
    public JsonElement Element { get; } = obj;

    public string Child(string name) => Path == "" || Path == "/" ? "/" + name : Path + "/" + name;

    public bool Has(string name) => TryGet(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public bool TryGet(string name, out JsonElement value)
    {
        if (Element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in Element.EnumerateObject())
            {
                if (string.Equals(p.Name, name, StringComparison.Ordinal)) { value = p.Value; return true; }
            }
        }
        value = default;
        return false;
    }

    private bool Present(string name, out JsonElement v) => TryGet(name, out v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string name, string? fallback = null)
    {
        if (!Present(name, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        Errors.Add(Child(name), $"expected a string, got {Describe(v)}");
        return fallback;
    }

    public double Number(string name, double fallback)
    {
        if (!Present(name, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d)) return d;
        Errors.Add(Child(name), $"expected a number, got {Describe(v)}");
        return fallback;
    }

    public int Int(string name, int fallback) => IntOrNull(name) ?? fallback;

    public int? IntOrNull(string name)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        Errors.Add(Child(name), $"expected an integer, got {Describe(v)}");
        return null;
    }

    public bool Bool(string name, bool fallback) => BoolOrNull(name) ?? fallback;

    public bool? BoolOrNull(string name)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        Errors.Add(Child(name), $"expected a boolean, got {Describe(v)}");
        return null;
    }

    public IReadOnlyList<string>? StringList(string name)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) { Errors.Add(Child(name), $"expected an array of strings, got {Describe(v)}"); return null; }
        var list = new List<string>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String) list.Add(item.GetString()!);
            else Errors.Add($"{Child(name)}({i})", $"expected a string, got {Describe(item)}");
            i++;
        }
        return list;
    }

    public IReadOnlyList<int>? IntList(string name)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) { Errors.Add(Child(name), $"expected an array of integers, got {Describe(v)}"); return null; }
        var list = new List<int>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var n)) list.Add(n);
            else Errors.Add($"{Child(name)}({i})", $"expected an integer, got {Describe(item)}");
            i++;
        }
        return list;
    }

    public IReadOnlyDictionary<string, string>? StringMap(string name, bool allowSecretRefs = false)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Object) { Errors.Add(Child(name), $"expected an object of strings, got {Describe(v)}"); return null; }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String) map[p.Name] = p.Value.GetString()!;
            else if (allowSecretRefs && p.Value.ValueKind == JsonValueKind.Object) continue; // {"secret": name}: resolved by secret stores, not carried as env
            else Errors.Add($"{Child(name)}/{p.Name}", $"expected a string, got {Describe(p.Value)}");
        }
        return map;
    }

    /// <summary>Each element of an array of objects, with its own reader at path name(i).</summary>
    public IEnumerable<JsonFields> Objects(string name)
    {
        if (!Present(name, out var v)) yield break;
        if (v.ValueKind != JsonValueKind.Array) { Errors.Add(Child(name), $"expected an array, got {Describe(v)}"); yield break; }
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var p = $"{Child(name)}({i++})";
            if (item.ValueKind != JsonValueKind.Object) { Errors.Add(p, $"expected an object, got {Describe(item)}"); continue; }
            yield return new JsonFields(item, p, Errors);
        }
    }

    public JsonFields? Object(string name)
    {
        if (!Present(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Object) { Errors.Add(Child(name), $"expected an object, got {Describe(v)}"); return null; }
        return new JsonFields(v, Child(name), Errors);
    }

    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
