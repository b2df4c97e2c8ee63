using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Drover.Agent.Docker;

public sealed partial class DockerClient
{
    /// <summary>POST /containers/create?name=: returns the new container's id.</summary>
    public async Task<string> CreateContainerAsync(string? name, ContainerCreateBody body, CancellationToken ct = default)
    {
        var query = name is null ? "" : "?name=" + Escape(name);
        using var response = await SendAsync("create container " + (name ?? body.Image), HttpMethod.Post, "containers/create" + query,
            Json(body, DockerJsonContext.Default.ContainerCreateBody), RequestTimeout, ct).ConfigureAwait(false);
        return (await ReadJsonAsync(response, DockerJsonContext.Default.ContainerCreated, "create container", ct).ConfigureAwait(false)).Id;
    }

    /// <summary>POST /containers/{id}/start (304, already started, is fine).</summary>
    public async Task StartContainerAsync(string id, CancellationToken ct = default)
    {
        using var _ = await SendAsync("start container " + Short(id), HttpMethod.Post, $"containers/{Escape(id)}/start", null, RequestTimeout, ct,
            [HttpStatusCode.NotModified]).ConfigureAwait(false);
    }

    /// <summary>
    /// POST /containers/{id}/stop?t=: the container's stop signal (SIGTERM unless the image says otherwise), then
    /// SIGKILL after <paramref name="grace"/>; returns once it has stopped. 304 (already stopped) and 404 (gone) are fine.
    /// </summary>
    public async Task StopContainerAsync(string id, TimeSpan grace, CancellationToken ct = default)
    {
        var seconds = (int)Math.Ceiling(Math.Max(0, grace.TotalSeconds));
        using var _ = await SendAsync("stop container " + Short(id), HttpMethod.Post,
            $"containers/{Escape(id)}/stop?t={seconds.ToString(CultureInfo.InvariantCulture)}", null, grace + RequestTimeout, ct,
            [HttpStatusCode.NotModified, HttpStatusCode.NotFound]).ConfigureAwait(false);
    }

    /// <summary>POST /containers/{id}/kill?signal=; a container that is not running (409) or gone (404) is fine.</summary>
    public async Task KillContainerAsync(string id, string signal = "SIGKILL", CancellationToken ct = default)
    {
        using var _ = await SendAsync("kill container " + Short(id), HttpMethod.Post, $"containers/{Escape(id)}/kill?signal={Escape(signal)}", null,
            RequestTimeout, ct, [HttpStatusCode.Conflict, HttpStatusCode.NotFound]).ConfigureAwait(false);
    }

    /// <summary>POST /containers/{id}/wait?condition=not-running: blocks until the container stops; its exit status.</summary>
    public async Task<long> WaitContainerAsync(string id, CancellationToken ct = default)
    {
        using var response = await SendAsync("wait container " + Short(id), HttpMethod.Post, $"containers/{Escape(id)}/wait?condition=not-running",
            null, null, ct).ConfigureAwait(false);
        return (await ReadJsonAsync(response, DockerJsonContext.Default.ContainerWaitResult, "wait container", ct).ConfigureAwait(false)).StatusCode;
    }

    /// <summary>GET /containers/{id}/json; null when there is no such container.</summary>
    public async Task<ContainerInspect?> InspectContainerAsync(string id, CancellationToken ct = default)
    {
        using var response = await SendAsync("inspect container " + Short(id), HttpMethod.Get, $"containers/{Escape(id)}/json", null, RequestTimeout, ct,
            [HttpStatusCode.NotFound]).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadJsonAsync(response, DockerJsonContext.Default.ContainerInspect, "inspect container", ct).ConfigureAwait(false);
    }

    /// <summary>DELETE /containers/{id}?force=true&amp;v=true (its anonymous volumes go too); a missing container is fine.</summary>
    public async Task RemoveContainerAsync(string id, CancellationToken ct = default)
    {
        using var _ = await SendAsync("remove container " + Short(id), HttpMethod.Delete, $"containers/{Escape(id)}?force=true&v=true", null,
            RequestTimeout, ct, [HttpStatusCode.NotFound]).ConfigureAwait(false);
    }

    /// <summary>GET /containers/json?all=true&amp;filters={"label":[...]}: every container (running or not) with all these labels.</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct = default)
    {
        var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = [.. labels.Select(kv => $"{kv.Key}={kv.Value}")] },
            DockerJsonContext.Default.DictionaryStringListString);
        using var response = await SendAsync("list containers", HttpMethod.Get, "containers/json?all=true&filters=" + Escape(filters), null,
            RequestTimeout, ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, DockerJsonContext.Default.ListContainerSummary, "list containers", ct).ConfigureAwait(false);
    }

    /// <summary>GET /containers/{id}/stats?stream=false&amp;one-shot=true; null when the container is gone.</summary>
    public async Task<DockerStats?> StatsAsync(string id, CancellationToken ct = default)
    {
        using var response = await SendAsync("stats " + Short(id), HttpMethod.Get, $"containers/{Escape(id)}/stats?stream=false&one-shot=true", null,
            RequestTimeout, ct, [HttpStatusCode.NotFound]).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadJsonAsync(response, DockerJsonContext.Default.DockerStats, "stats", ct).ConfigureAwait(false);
    }

    /// <summary>The first 12 characters of a container id, as `docker ps` shows it.</summary>
    public static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
