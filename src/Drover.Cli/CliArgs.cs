namespace Drover.Cli;

/// <summary>
/// A small, strict argument reader: --name value, --name=value, boolean --flag, repeated options,
/// and positionals. Unknown options are a usage error naming the option.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = [];

    public static CliArgs Parse(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var result = new CliArgs();
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a == "--") { result.Positionals.AddRange(list.Skip(i + 1)); break; }
            if (a.StartsWith("--", StringComparison.Ordinal) || (a.Length == 2 && a[0] == '-' && char.IsLetter(a[1])))
            {
                string name, value;
                var eq = a.IndexOf('=');
                if (eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; }
                else if (flags.Contains(a)) { name = a; value = "true"; }
                else
                {
                    name = a;
                    if (i + 1 >= list.Count) throw new UsageException($"option {a} needs a value");
                    value = list[++i];
                }
                if (!result._options.TryGetValue(name, out var values)) result._options[name] = values = [];
                values.Add(value);
            }
            else result.Positionals.Add(a);
        }
        return result;
    }

    public string? Get(params string[] names)
    {
        foreach (var n in names)
        {
            _consumed.Add(n);
            if (_options.TryGetValue(n, out var v)) return v[^1];
        }
        return null;
    }

    public IReadOnlyList<string> All(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var v) ? v : [];
    }

    public bool Flag(params string[] names) => Get(names) is { } v && v != "false";

    public int? Int(string name)
    {
        var v = Get(name);
        if (v is null) return null;
        return int.TryParse(v, out var n) ? n : throw new UsageException($"{name} expects an integer, got '{v}'");
    }

    public double? Double(string name)
    {
        var v = Get(name);
        if (v is null) return null;
        return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw new UsageException($"{name} expects a number, got '{v}'");
    }

    /// <summary>Throws for any option that no command read.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_consumed.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option {unknown[0]}");
    }

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UsageException($"missing {what}");
}

public sealed class UsageException(string message) : Exception(message);

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
