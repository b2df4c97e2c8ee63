namespace Drover.Agent;

/// <summary>Task ids become directory and file names: only accept ids that cannot escape their directory.</summary>
public static class TaskIds
{
    public const int MaxLength = 200;

    public static bool IsSafe(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && id is not "." and not ".."
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '@');
}
