using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Api.History;
using Drover.Api.Marathon;

namespace Drover.Api.Client;

/// <summary>Marathon /v2 apps, tasks, queue and logs.</summary>
public sealed partial class DroverClient
{
    public async Task<IReadOnlyList<AppInfo>> ListAppsAsync(bool embedTasks = false, CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Get, "/v2/apps" + (embedTasks ? "?embed=apps.tasks&embed=apps.lastTaskFailure" : ""), null, ApiJsonContext.Default.AppsResponse, ct)).Apps;

    public async Task<AppInfo> GetAppAsync(string id, CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Get, "/v2/apps" + AppPath(id), null, ApiJsonContext.Default.AppResponse, ct)).App;

    /// <summary>Creates or replaces an app from raw Marathon JSON (PUT, so apply is idempotent).</summary>
    public Task<DeploymentResult> PutAppAsync(string id, JsonElement definition, bool force = false, bool partialUpdate = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"/v2/apps{AppPath(id)}?force={Lower(force)}&partialUpdate={Lower(partialUpdate)}",
            JsonContent.Create(definition, ApiJsonContext.Default.JsonElement), ApiJsonContext.Default.DeploymentResult, ct);

    public Task<AppInfo> CreateAppAsync(JsonElement definition, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v2/apps", JsonContent.Create(definition, ApiJsonContext.Default.JsonElement), ApiJsonContext.Default.AppInfo, ct);

    /// <summary>Creates a group with the apps and groups inside it (Marathon's POST /v2/groups): one deployment for all of them.</summary>
    public Task<DeploymentResult> CreateGroupAsync(JsonElement group, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v2/groups", JsonContent.Create(group, ApiJsonContext.Default.JsonElement), ApiJsonContext.Default.DeploymentResult, ct);

    /// <summary>Sets the instance count (PATCH, so a missing app is a 404 instead of an attempt to create it).</summary>
    public Task<DeploymentResult> ScaleAppAsync(string id, int instances, bool force = false, CancellationToken ct = default)
    {
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["instances"] = instances }, ApiJsonContext.Default.DictionaryStringInt32);
        return SendAsync(HttpMethod.Patch, $"/v2/apps{AppPath(id)}?force={Lower(force)}", JsonContent.Create(body, ApiJsonContext.Default.JsonElement), ApiJsonContext.Default.DeploymentResult, ct);
    }

    public Task<DeploymentResult> RestartAppAsync(string id, bool force = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"/v2/apps{AppPath(id)}/restart?force={Lower(force)}", null, ApiJsonContext.Default.DeploymentResult, ct);

    public Task<DeploymentResult> DeleteAppAsync(string id, bool force = true, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v2/apps{AppPath(id)}?force={Lower(force)}", null, ApiJsonContext.Default.DeploymentResult, ct);

    public async Task<IReadOnlyList<MarathonTask>> ListTasksAsync(string? appId = null, CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Get, appId is null ? "/v2/tasks" : $"/v2/apps{AppPath(appId)}/tasks", null, ApiJsonContext.Default.TasksResponse, ct)).Tasks;

    public async Task<IReadOnlyList<MarathonTask>> KillTasksAsync(IReadOnlyList<string> taskIds, CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Post, "/v2/tasks/delete", Json(new TaskIds(taskIds), ApiJsonContext.Default.TaskIds), ApiJsonContext.Default.TasksResponse, ct)).Tasks;

    public async Task<IReadOnlyList<QueueItem>> GetQueueAsync(CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Get, "/v2/queue", null, ApiJsonContext.Default.QueueResponse, ct)).Queue;

    public async Task<IReadOnlyList<string>> ListVersionsAsync(string id, CancellationToken ct = default) =>
        (await SendAsync(HttpMethod.Get, $"/v2/apps{AppPath(id)}/versions", null, ApiJsonContext.Default.VersionsResponse, ct)).Versions;

    /// <summary>One stored version of an app's definition, as the server returns it (GET /v2/apps/{id}/versions/{version}).</summary>
    public Task<JsonElement> GetAppVersionAsync(string appId, string version, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v2/apps{AppPath(appId)}/versions/{Uri.EscapeDataString(version)}", null, ApiJsonContext.Default.JsonElement, ct);

    /// <summary>The app's stored versions, newest first, with those a deployment revert undid marked (Drover's /v1/drover API).</summary>
    public Task<AppHistory> GetAppHistoryAsync(string appId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/drover/apps{AppPath(appId)}/history", null, AppHistoryJsonContext.Default.AppHistory, ct);

    /// <summary>
    /// Streams a task's log (stdout or stderr) as it arrives; with <paramref name="follow"/>, until the task ends or
    /// <paramref name="ct"/> fires.
    /// </summary>
    /// <param name="tail">Only the last N lines (0: none of the history, so with follow only new output); null for all.</param>
    /// <param name="since">
    /// Only output written at or after this moment: an RFC 3339 / Marathon timestamp, unix seconds or milliseconds,
    /// or a duration like "10m" before now (see <see cref="Logs.LogQuery.TryParseSince"/>); precise to about a second.
    /// With <paramref name="tail"/>: the last N lines of what was written since then.
    /// </param>
    public async IAsyncEnumerable<string> StreamLogAsync(string taskId, string stream = "stdout", bool follow = false, int? tail = null, string? since = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        if (tail is < 0) throw new ArgumentOutOfRangeException(nameof(tail), tail, "tail must be 0 or more lines");
        var url = $"/v2/tasks/{Uri.EscapeDataString(taskId)}/logs?stream={Uri.EscapeDataString(stream)}&follow={Lower(follow)}"
                  + (tail is { } lines ? $"&tail={lines.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "")
                  + (since is not null ? "&since=" + Uri.EscapeDataString(since) : "");
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(resp, ct).ConfigureAwait(false);
        await using var body = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[8192];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int n;
        while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var c = decoder.GetChars(buffer, 0, n, chars, 0);
            yield return new string(chars, 0, c);
        }
    }

    /// <summary>The earlier signature, kept so callers that pass the token positionally still compile.</summary>
    public IAsyncEnumerable<string> StreamLogAsync(string taskId, string stream, bool follow, CancellationToken ct) =>
        StreamLogAsync(taskId, stream, follow, tail: null, since: null, ct);

    /// <summary>An app id as a URL path ("/prod/web" → "/prod/web"), each segment escaped.</summary>
    private static string AppPath(string id) => "/" + Escape(id.Trim('/'));

    private static string Lower(bool b) => b ? "true" : "false";
}
