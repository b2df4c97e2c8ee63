using Drover.Core.Apps;
using Drover.Core.Json;

namespace Drover.Scheduling;

/// <summary>
/// Whether something launched under an app version still matches the app's configuration. Scaling creates a
/// new version without changing the configuration (Marathon moves only versionInfo.lastScalingAt), so a task
/// is current when its version is the app's version or not older than versionInfo.lastConfigChangeAt.
/// </summary>
public static class AppVersions
{
    public static bool IsCurrent(AppDefinition app, string? version)
    {
        if (version is null) return app.Version is null;
        if (string.Equals(version, app.Version, StringComparison.Ordinal)) return true;
        var changed = app.VersionInfo?.LastConfigChangeAt;
        return changed is not null
            && MarathonTime.TryParse(version, out var v)
            && MarathonTime.TryParse(changed, out var c)
            && v >= c;
    }
}
