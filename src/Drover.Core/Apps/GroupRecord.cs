namespace Drover.Core.Apps;

/// <summary>An explicitly created group (groups also exist implicitly as parents of app ids): its dependencies and version.</summary>
public sealed record GroupRecord
{
    public required string Id { get; init; }
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public required string Version { get; init; }
}
