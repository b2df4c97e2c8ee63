namespace Drover.Core.Validation;

/// <summary>
/// A field the app or group schema does not know. <see cref="Path"/> is the field's own path in
/// ValidationErrors' style ("/healthChecks(0)/gracePeriodSecond"); <see cref="Suggestion"/> is the
/// closest known field at the same level, or null when none is close.
/// </summary>
public sealed record UnknownField(string Path, string Name, string? Suggestion)
{
    /// <summary>The path of the object holding the field; "" at the top level.</summary>
    public string Parent => Path.Length > Name.Length ? Path[..^(Name.Length + 1)] : "";

    /// <summary>"unknown field 'instnaces' (did you mean 'instances'?)", with " at /healthChecks(0)" below the top level.</summary>
    public string Describe() => Describe(verb: null);

    /// <summary>As <see cref="Describe()"/>, with a word such as "ignored" after the location.</summary>
    public string Describe(string? verb)
    {
        var at = Parent.Length > 0 ? $" at {Parent}" : "";
        var what = verb is null ? "" : " " + verb;
        var hint = Suggestion is null ? "" : $" (did you mean '{Suggestion}'?)";
        return $"unknown field '{Name}'{at}{what}{hint}";
    }
}
