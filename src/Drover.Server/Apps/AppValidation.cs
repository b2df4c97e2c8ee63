namespace Drover.Server.Apps;

/// <summary>Validation hooks whose semantics live in the scheduler (constraints).</summary>
public sealed class AppValidation
{
    public string? CheckConstraint(IReadOnlyList<string> raw) =>
        Drover.Scheduling.ConstraintParser.TryParse(raw, out _, out var error) ? null : error;
}
