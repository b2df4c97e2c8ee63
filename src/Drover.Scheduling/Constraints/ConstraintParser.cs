using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Drover.Scheduling;

/// <summary>
/// Parses Marathon's JSON constraint triples (<c>[field, OP]</c> or <c>[field, OP, value]</c>). Used by the
/// placer and by API validation, so error messages are written for operators.
/// </summary>
public static class ConstraintParser
{
    public const string OperatorList = "UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS";

    public static string Name(ConstraintOperator op) => op switch
    {
        ConstraintOperator.Unique => "UNIQUE",
        ConstraintOperator.Cluster => "CLUSTER",
        ConstraintOperator.GroupBy => "GROUP_BY",
        ConstraintOperator.Like => "LIKE",
        ConstraintOperator.Unlike => "UNLIKE",
        ConstraintOperator.MaxPer => "MAX_PER",
        _ => "IS",
    };

    public static bool TryParseOperator(string? s, out ConstraintOperator op)
    {
        switch (s?.Trim().ToUpperInvariant())
        {
            case "UNIQUE": op = ConstraintOperator.Unique; return true;
            case "CLUSTER": op = ConstraintOperator.Cluster; return true;
            case "GROUP_BY": op = ConstraintOperator.GroupBy; return true;
            case "LIKE": op = ConstraintOperator.Like; return true;
            case "UNLIKE": op = ConstraintOperator.Unlike; return true;
            case "MAX_PER": op = ConstraintOperator.MaxPer; return true;
            case "IS": op = ConstraintOperator.Is; return true;
            default: op = default; return false;
        }
    }

    public static bool TryParse(IReadOnlyList<string>? raw, [NotNullWhen(true)] out Constraint? constraint, [NotNullWhen(false)] out string? error)
    {
        constraint = null;
        if (raw is null || raw.Count is < 2 or > 3)
        {
            error = "Each constraint must have either 2 or 3 fields";
            return false;
        }
        var field = raw[0];
        if (string.IsNullOrWhiteSpace(field))
        {
            error = "Constraint field must not be empty";
            return false;
        }
        if (!TryParseOperator(raw[1], out var op))
        {
            error = $"Constraint operator {raw[1]} is not one of {OperatorList}";
            return false;
        }
        var value = raw.Count == 3 ? raw[2] : null;
        var number = 0;
        System.Text.RegularExpressions.Regex? pattern = null;
        switch (op)
        {
            case ConstraintOperator.Unique:
                if (!string.IsNullOrEmpty(value)) { error = "UNIQUE does not accept a value"; return false; }
                value = null;
                break;
            case ConstraintOperator.Cluster:
                if (value is not null && value.Length == 0) value = null;
                break;
            case ConstraintOperator.GroupBy:
                if (!string.IsNullOrEmpty(value) && !TryNonNegative(value, out number))
                {
                    error = $"GROUP_BY requires a numeric value, got '{value}'";
                    return false;
                }
                break;
            case ConstraintOperator.MaxPer:
                if (value is null || !TryNonNegative(value, out number))
                {
                    error = value is null ? "MAX_PER requires a numeric value" : $"MAX_PER requires a numeric value, got '{value}'";
                    return false;
                }
                break;
            case ConstraintOperator.Like:
            case ConstraintOperator.Unlike:
                if (value is null) { error = $"{Name(op)} requires a regular expression value"; return false; }
                if (!RegexCache.TryGet(value, out pattern, out var regexError))
                {
                    error = $"invalid regular expression '{value}': {regexError}";
                    return false;
                }
                break;
            case ConstraintOperator.Is:
                if (value is null) { error = "IS requires a value"; return false; }
                break;
        }
        constraint = new Constraint { Field = field, Operator = op, Value = value, Number = number, Pattern = pattern };
        error = null;
        return true;
    }

    /// <summary>Parses every constraint of an app; errors carry the constraint's index (for 422 paths like <c>/constraints(1)</c>).</summary>
    public static bool TryParseAll(
        IReadOnlyList<IReadOnlyList<string>>? raw,
        out IReadOnlyList<Constraint> constraints,
        out IReadOnlyList<(int Index, string Error)> errors)
    {
        var parsed = new List<Constraint>(raw?.Count ?? 0);
        List<(int, string)>? errs = null;
        for (var i = 0; i < (raw?.Count ?? 0); i++)
        {
            if (TryParse(raw![i], out var c, out var e)) parsed.Add(c);
            else (errs ??= []).Add((i, e));
        }
        constraints = parsed;
        errors = (IReadOnlyList<(int, string)>?)errs ?? [];
        return errs is null;
    }

    private static bool TryNonNegative(string s, out int n) =>
        int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n) && n >= 0;
}
