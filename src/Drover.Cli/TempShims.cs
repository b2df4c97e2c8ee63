// TEMPORARY compile shims until the helper branches merge. Delete at merge.
using System.Text.Json;
using Drover.Api.Client;
namespace Drover.Api.History
{
    public sealed record AppHistoryEntry(string Version, string? LastConfigChangeAt, bool Reverted);
    public sealed record AppHistory(IReadOnlyList<AppHistoryEntry> Versions);
}
namespace Drover.Cli
{
    public static class TempShims
    {
        public static Task<Drover.Api.History.AppHistory> GetAppHistoryAsync(this DroverClient c, string id, CancellationToken ct) => throw new NotSupportedException();
        public static Task<JsonElement> GetAppVersionAsync(this DroverClient c, string id, string v, CancellationToken ct) => throw new NotSupportedException();
    }
}
