using Drover.Api.History;
using Drover.Core.Apps;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Apps;

/// <summary>
/// <c>GET /v1/drover/apps/{appId}/history</c>: the app's stored versions, newest first, marking those a revert undid,
/// so a rollback can skip them. App ids contain '/', so the route takes the whole tail and the suffix is parsed here,
/// as the /v2/apps dispatcher does.
/// </summary>
public static class AppHistoryEndpoints
{
    private const string Suffix = "history";

    public static void MapAppHistoryEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v1/drover/apps/{**path}", (string? path, StateWriter writer) =>
        {
            var segs = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segs.Length < 2 || segs[^1] != Suffix) throw ApiException.NotFound($"no such resource; use /v1/drover/apps/{{appId}}/{Suffix}");
            var id = PathId.Canonical(string.Join('/', segs[..^1].Select(Uri.UnescapeDataString)));
            return Responses.Json(Render(writer.Current, id), AppHistoryJsonContext.Default.AppHistory);
        });
    }

    public static AppHistory Render(StateSnapshot s, string appId)
    {
        var app = s.Get(Schema.Apps, appId) ?? throw ApiException.NotFound($"App '{appId}' does not exist");
        var versions = new List<AppHistoryVersion>();
        foreach (var e in s.WithPrefix(Schema.AppVersions.Name, appId + "@").Reverse()) // keys sort by timestamp: newest last
        {
            var stored = StateSnapshot.Decode(Schema.AppVersions, e);
            var version = e.Key[(appId.Length + 1)..];
            var reverted = s.Get(Schema.RevertedVersions, e.Key);
            versions.Add(new AppHistoryVersion
            {
                Version = version,
                LastConfigChangeAt = ConfigVersion(stored, version),
                Reverted = reverted is not null,
                RevertedAt = reverted?.RevertedAt,
                RevertedBy = reverted?.RevertedBy,
                Reason = reverted?.Reason,
            });
        }
        return new AppHistory
        {
            AppId = appId,
            Version = app.Version!,
            LastConfigChangeAt = ConfigVersion(app, app.Version!),
            Versions = versions,
        };
    }

    private static string ConfigVersion(AppDefinition app, string version) => app.VersionInfo?.LastConfigChangeAt ?? version;
}
