using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.Agent.Docker;

public sealed partial class DockerClient
{
    /// <summary>GET /images/{name}/json; null when the image is not present locally.</summary>
    public async Task<ImageInspect?> InspectImageAsync(string image, CancellationToken ct = default)
    {
        using var response = await SendAsync("image inspect " + image, HttpMethod.Get, $"images/{Escape(image)}/json", null, RequestTimeout, ct,
            [HttpStatusCode.NotFound]).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadJsonAsync(response, DockerJsonContext.Default.ImageInspect, "image inspect " + image, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// POST /images/create?fromImage=&amp;tag=: pulls <paramref name="image"/>, with credentials for a private
    /// registry. Docker answers 200 at once and reports failure inside the progress stream, so the stream is read
    /// to its end and an error in it is thrown as a <see cref="DockerApiException"/>.
    /// </summary>
    public async Task PullAsync(ImageReference image, RegistryAuth? auth, TimeSpan timeout, CancellationToken ct = default)
    {
        var operation = "pull " + image;
        var headers = auth is null ? null : new Dictionary<string, string> { ["X-Registry-Auth"] = EncodeAuth(auth) };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await SendAsync(operation, HttpMethod.Post, $"images/create?fromImage={Escape(image.Repository)}&tag={Escape(image.Tag)}",
                null, null, cts.Token, headers: headers).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            using var reader = new StreamReader(body, Encoding.UTF8);
            while (await reader.ReadLineAsync(cts.Token).ConfigureAwait(false) is { } line)
            {
                if (ParseProgress(line) is { } error) throw new DockerApiException(operation, null, error);
            }
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DockerApiException(operation, null, $"not done within {timeout.TotalSeconds:0}s", e);
        }
        catch (IOException e)
        {
            throw new DockerApiException(operation, null, $"the progress stream broke off: {e.Message}", e);
        }
    }

    /// <summary>The error of one progress line, or null when it reports progress (or is not JSON at all).</summary>
    public static string? ParseProgress(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        DockerProgress? progress;
        try
        {
            progress = JsonSerializer.Deserialize(line, DockerJsonContext.Default.DockerProgress);
        }
        catch (JsonException)
        {
            return null;
        }
        return progress?.ErrorDetail?.Message is { Length: > 0 } detail ? detail
            : progress?.Error is { Length: > 0 } error ? error
            : null;
    }

    /// <summary>X-Registry-Auth: the credentials as JSON, base64url-encoded (Docker's AuthConfig).</summary>
    public static string EncodeAuth(RegistryAuth auth) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(auth, DockerJsonContext.Default.RegistryAuth))
            .Replace('+', '-').Replace('/', '_');
}
