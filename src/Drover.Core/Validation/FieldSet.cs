using System.Text.Json;

namespace Drover.Core.Validation;

/// <summary>
/// The field names one JSON object may carry, and for some of them the fields of the object (or
/// the array of objects) they hold. A field without nested fields is not looked into: scalars,
/// maps with free keys (env, labels, secrets) and read-only response fields Drover ignores anyway.
/// A nested set is only applied to a value of the declared JSON kind, so union fields
/// (unreachableStrategy "disabled" or an object, a health check's command string or object) pass.
/// </summary>
internal sealed class FieldSet
{
    private enum Holds { Object, Array }

    private readonly List<string> _names; // in declaration order: ties between suggestions go to the earlier name
    private readonly HashSet<string> _known;
    private readonly Dictionary<string, (Holds Holds, Func<FieldSet> Fields)> _nested;

    private FieldSet(List<string> names, Dictionary<string, (Holds, Func<FieldSet>)> nested)
    {
        _names = names;
        _known = new HashSet<string>(names, StringComparer.Ordinal);
        _nested = nested;
    }

    public IReadOnlyList<string> Names => _names;

    public static FieldSet Of(params string[] names) => new([.. names.Distinct(StringComparer.Ordinal)], new(StringComparer.Ordinal));

    /// <summary>A copy with <paramref name="name"/> holding one object of <paramref name="fields"/>.</summary>
    public FieldSet WithObject(string name, FieldSet fields) => With(name, Holds.Object, () => fields);

    /// <summary>A copy with <paramref name="name"/> holding an array of objects; a function allows a set to contain itself (groups of groups).</summary>
    public FieldSet WithArray(string name, Func<FieldSet> elements) => With(name, Holds.Array, elements);

    public FieldSet WithArray(string name, FieldSet elements) => With(name, Holds.Array, () => elements);

    private FieldSet With(string name, Holds holds, Func<FieldSet> fields)
    {
        var names = new List<string>(_names);
        if (!_known.Contains(name)) names.Add(name);
        return new FieldSet(names, new Dictionary<string, (Holds, Func<FieldSet>)>(_nested, StringComparer.Ordinal) { [name] = (holds, fields) });
    }

    public IReadOnlyList<UnknownField> FindUnknown(JsonElement obj)
    {
        var found = new List<UnknownField>();
        if (obj.ValueKind == JsonValueKind.Object) Collect(obj, "", found);
        return found;
    }

    private void Collect(JsonElement obj, string path, List<UnknownField> found)
    {
        foreach (var p in obj.EnumerateObject())
        {
            var here = path + "/" + p.Name;
            if (!_known.Contains(p.Name))
            {
                found.Add(new UnknownField(here, p.Name, NameSuggestions.Closest(p.Name, _names)));
                continue;
            }
            if (!_nested.TryGetValue(p.Name, out var nested)) continue;
            if (nested.Holds == Holds.Object && p.Value.ValueKind == JsonValueKind.Object)
            {
                nested.Fields().Collect(p.Value, here, found);
            }
            else if (nested.Holds == Holds.Array && p.Value.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in p.Value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object) nested.Fields().Collect(item, $"{here}({i})", found);
                    i++;
                }
            }
        }
    }
}
