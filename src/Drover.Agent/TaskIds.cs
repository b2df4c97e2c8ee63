namespace Drover.Agent;

/// <summary>Task ids become directory and file names: only accept ids that cannot escape their directory.</summary>
public static class TaskIds
{
    // the server refuses app ids whose task ids would be longer (IdLimits), so no app is stored that could never start
    public const int MaxLength = Drover.Core.Validation.IdLimits.MaxTaskIdLength;

    public static bool IsSafe(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && id is not "." and not ".."
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '@');
}
