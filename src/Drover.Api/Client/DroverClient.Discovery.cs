using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Api.Consul;

namespace Drover.Api.Client;

/// <summary>Discovery: the Consul-compatible catalog, health, agent and KV API, and runtime task tags.</summary>
public sealed partial class DroverClient
{
    public async Task<IReadOnlyDictionary<string, List<string>>> GetCatalogServicesAsync(CancellationToken ct = default) =>
        await SendAsync(HttpMethod.Get, "/v1/catalog/services", null, ConsulJsonContext.Default.DictionaryStringListString, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<ConsulCatalogService>> GetCatalogServiceAsync(string name, string? tag = null, CancellationToken ct = default) =>
        await SendAsync(HttpMethod.Get, $"/v1/catalog/service/{Uri.EscapeDataString(name)}" + (tag is null ? "" : "?tag=" + Uri.EscapeDataString(tag)),
            null, ConsulJsonContext.Default.ListConsulCatalogService, ct).ConfigureAwait(false);

    /// <summary>Instances of a service with their node and checks; <paramref name="passing"/> keeps only those whose checks all pass.</summary>
    public async Task<IReadOnlyList<ConsulServiceEntry>> GetHealthServiceAsync(string name, bool passing = false, CancellationToken ct = default) =>
        await SendAsync(HttpMethod.Get, $"/v1/health/service/{Uri.EscapeDataString(name)}" + (passing ? "?passing" : ""),
            null, ConsulJsonContext.Default.ListConsulServiceEntry, ct).ConfigureAwait(false);

    /// <summary>Registers a service (and its checks) with the server acting as its Consul agent.</summary>
    public Task RegisterServiceAsync(ConsulServiceRegistration registration, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "/v1/agent/service/register", Json(registration, ConsulJsonContext.Default.ConsulServiceRegistration), ct);

    /// <summary>Registers a service definition as given (any spelling Consul accepts: "Name", "name", "deregister_critical_service_after"…).</summary>
    public Task RegisterServiceAsync(JsonElement definition, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "/v1/agent/service/register", new StringContent(definition.GetRawText(), Encoding.UTF8, "application/json"), ct);

    public Task DeregisterServiceAsync(string serviceId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"/v1/agent/service/deregister/{Uri.EscapeDataString(serviceId)}", null, ct);

    /// <summary>One key, or null when it does not exist.</summary>
    public async Task<ConsulKvPair?> KvGetAsync(string key, CancellationToken ct = default)
    {
        var list = await KvReadAsync($"/v1/kv/{Escape(key)}", ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <summary>Every key under <paramref name="prefix"/> (empty when there is none).</summary>
    public Task<IReadOnlyList<ConsulKvPair>> KvListAsync(string prefix, CancellationToken ct = default) =>
        KvReadAsync($"/v1/kv/{Escape(prefix)}?recurse", ct);

    /// <summary>Key names under <paramref name="prefix"/>, rolled up at <paramref name="separator"/> when given.</summary>
    public async Task<IReadOnlyList<string>> KvKeysAsync(string prefix, string? separator = null, CancellationToken ct = default)
    {
        var path = $"/v1/kv/{Escape(prefix)}?keys" + (separator is null ? "" : "&separator=" + Uri.EscapeDataString(separator));
        using var resp = await SendRawAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        if (resp.StatusCode == HttpStatusCode.NotFound) return [];
        await EnsureSuccessAsync(resp, ct).ConfigureAwait(false);
        return await resp.Content.ReadFromJsonAsync(ConsulJsonContext.Default.ListString, ct).ConfigureAwait(false) ?? [];
    }

    /// <summary>Sets a key. With <paramref name="cas"/>: only if its ModifyIndex is that (0 = only if absent). False when the CAS failed.</summary>
    public async Task<bool> KvPutAsync(string key, byte[] value, ulong? flags = null, ulong? cas = null, CancellationToken ct = default)
    {
        var q = new List<string>();
        if (flags is { } f) q.Add($"flags={f}");
        if (cas is { } c) q.Add($"cas={c}");
        var path = $"/v1/kv/{Escape(key)}" + (q.Count == 0 ? "" : "?" + string.Join('&', q));
        return await SendAsync(HttpMethod.Put, path, new ByteArrayContent(value), ConsulJsonContext.Default.Boolean, ct).ConfigureAwait(false);
    }

    public Task<bool> KvDeleteAsync(string key, bool recurse = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/kv/{Escape(key)}" + (recurse ? "?recurse" : ""), null, ConsulJsonContext.Default.Boolean, ct);

    public Task<TaskTagsResponse> GetTaskTagsAsync(string taskId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"/v1/drover/tasks/{Uri.EscapeDataString(taskId)}/tags", null, TaskTagsJsonContext.Default.TaskTagsResponse, ct);

    /// <summary>Replaces the task's discovery tags (its app's DROVER_TAGS label) until it ends or <see cref="ClearTaskTagsAsync"/>.</summary>
    public Task<TaskTagsResponse> SetTaskTagsAsync(string taskId, IReadOnlyList<string> tags, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"/v1/drover/tasks/{Uri.EscapeDataString(taskId)}/tags", Json(tags.ToList(), TaskTagsJsonContext.Default.ListString),
            TaskTagsJsonContext.Default.TaskTagsResponse, ct);

    public Task<TaskTagsResponse> ClearTaskTagsAsync(string taskId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/drover/tasks/{Uri.EscapeDataString(taskId)}/tags", null, TaskTagsJsonContext.Default.TaskTagsResponse, ct);

    private async Task<IReadOnlyList<ConsulKvPair>> KvReadAsync(string path, CancellationToken ct)
    {
        using var resp = await SendRawAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        if (resp.StatusCode == HttpStatusCode.NotFound) return [];
        await EnsureSuccessAsync(resp, ct).ConfigureAwait(false);
        return await resp.Content.ReadFromJsonAsync(ConsulJsonContext.Default.ListConsulKvPair, ct).ConfigureAwait(false) ?? [];
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(DefaultTimeout);
        using var req = new HttpRequestMessage(method, path) { Content = body };
        return await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
    }
}
