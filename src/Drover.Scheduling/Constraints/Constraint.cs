using System.Text.RegularExpressions;

namespace Drover.Scheduling;

/// <summary>Marathon constraint operators.</summary>
public enum ConstraintOperator { Unique, Cluster, GroupBy, Like, Unlike, MaxPer, Is }

/// <summary>
/// One parsed constraint, e.g. <c>["rack", "GROUP_BY", "3"]</c>. Build it with <see cref="ConstraintParser"/>
/// so the value is validated and a LIKE/UNLIKE pattern is compiled (and cached) once.
/// </summary>
public sealed record Constraint
{
    public required string Field { get; init; }
    public required ConstraintOperator Operator { get; init; }
    /// <summary>The raw third element, if any.</summary>
    public string? Value { get; init; }
    /// <summary>MAX_PER limit, or GROUP_BY's expected number of values (0 when not given).</summary>
    public int Number { get; init; }
    /// <summary>Anchored (full-match) pattern for LIKE and UNLIKE.</summary>
    internal Regex? Pattern { get; init; }

    /// <summary>True for <c>hostname</c> and <c>@hostname</c>, which read the agent's hostname instead of an attribute.</summary>
    public bool IsHostname => IsHostnameField(Field);

    internal static bool IsHostnameField(string field) => field is "hostname" or "@hostname";

    /// <summary>Operators whose answer for an agent depends only on the agent (not on where the app's tasks are).</summary>
    internal bool IsStatic => Operator is ConstraintOperator.Like or ConstraintOperator.Unlike or ConstraintOperator.Is
        || (Operator == ConstraintOperator.Cluster && !string.IsNullOrEmpty(Value));

    public override string ToString() =>
        Value is null ? $"[\"{Field}\", \"{ConstraintParser.Name(Operator)}\"]" : $"[\"{Field}\", \"{ConstraintParser.Name(Operator)}\", \"{Value}\"]";
}
