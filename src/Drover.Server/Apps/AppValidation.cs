using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Validation;

namespace Drover.Server.Apps;

/// <summary>
/// Reads app definitions with the checks whose rules live outside Core: constraints (the
/// scheduler owns their semantics) and the DNS names discovery builds from ids (they depend on
/// the configured domain).
/// </summary>
public sealed class AppValidation(ServerOptions options)
{
    private readonly DiscoveryNameLimits _names = DiscoveryNameLimits.From(options);

    public string? CheckConstraint(IReadOnlyList<string> raw) =>
        Drover.Scheduling.ConstraintParser.TryParse(raw, out _, out var error) ? null : error;

    /// <summary>AppReader.Read plus the server's checks; errors are recorded, not thrown.</summary>
    public AppDefinition? Read(JsonElement json, string? idOverride, ValidationErrors errors, string baseGroup = "/")
    {
        var app = AppReader.Read(json, idOverride, errors, CheckConstraint, baseGroup);
        if (app is not null && app.Id != "/") _names.CheckApp(app, errors);
        return app;
    }

    /// <summary>The limits of a group id: valid segments, their length, and room for the names of its apps.</summary>
    public void CheckGroupId(string groupId, string idPath, ValidationErrors errors)
    {
        if (groupId == "/") return;
        foreach (var bad in PathId.InvalidSegments(groupId)) errors.Add(idPath, $"path segment '{IdLimits.Abbreviate(bad)}' is invalid");
        foreach (var problem in IdLimits.Problems(groupId)) errors.Add(idPath, problem);
        _names.CheckGroup(groupId, idPath, errors);
    }
}
