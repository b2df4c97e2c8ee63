using System.Text.Json;

namespace Drover.Core.Validation;

/// <summary>
/// The field names of Marathon's GroupUpdate (POST/PUT /v2/groups): apps are app definitions
/// (<see cref="AppFieldSchema"/>), groups nest; pods and enforceRole are accepted and ignored.
/// </summary>
public static class GroupFieldSchema
{
    internal static readonly FieldSet Group = FieldSet.Of("id", "dependencies", "version", "scaleBy", "enforceRole", "pods")
        .WithArray("apps", AppFieldSchema.App)
        .WithArray("groups", () => Group!); // a group holds groups: read lazily, once the field is set

    /// <summary>Every field of <paramref name="group"/> (its apps and nested groups included) a group update does not have.</summary>
    public static IReadOnlyList<UnknownField> FindUnknown(JsonElement group) => Group.FindUnknown(group);
}
