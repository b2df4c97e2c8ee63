namespace Drover.Core.Apps;

/// <summary>
/// Which tasks an app keeps when an agent comes back after its tasks were replaced and the app has too many:
/// label <c>DROVER_UNREACHABLE_KEEP</c> = <c>returning</c> (the tasks of the returning agent stay, their replacements
/// go) or <c>replacement</c> (the other way round). Without it the app's killSelection decides, as in Marathon: the
/// default YOUNGEST_FIRST kills the youngest tasks, which are usually the replacements, so returning tasks stay.
/// </summary>
public static class UnreachableKeep
{
    public const string Label = "DROVER_UNREACHABLE_KEEP";
    public const string Returning = "returning";
    public const string Replacement = "replacement";

    public enum Preference { KillSelection, Returning, Replacement }

    public static Preference Of(AppDefinition app) =>
        !app.Labels.TryGetValue(Label, out var v) ? Preference.KillSelection
        : string.Equals(v, Returning, StringComparison.OrdinalIgnoreCase) ? Preference.Returning
        : string.Equals(v, Replacement, StringComparison.OrdinalIgnoreCase) ? Preference.Replacement
        : Preference.KillSelection;

    /// <summary>Null when the label is absent or valid; otherwise what is wrong with it (for a 422).</summary>
    public static string? Problem(AppDefinition app) =>
        !app.Labels.TryGetValue(Label, out var v) || Of(app) != Preference.KillSelection ? null
        : $"must be '{Returning}' or '{Replacement}', got '{v}'";
}
