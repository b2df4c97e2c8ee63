using System.Text;
using Drover.Core.Discovery;
using Microsoft.AspNetCore.WebUtilities;

namespace Drover.Health;

/// <summary>Which HTTP status codes pass: Marathon's and Consul's rules differ, and both APIs must keep theirs.</summary>
public enum HttpCheckRules
{
    /// <summary>Marathon (and Mesos): 200–399 passing, anything else critical.</summary>
    Marathon,
    /// <summary>Consul: 2xx passing, 429 Too Many Requests warning, anything else critical.</summary>
    Consul,
}

/// <summary>One HTTP request of a check.</summary>
public sealed record HttpProbeRequest
{
    public required Uri Uri { get; init; }
    public string Method { get; init; } = "GET";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public string? Body { get; init; }
    public string UserAgent { get; init; } = "drover-health/1";
    /// <summary>No keep-alive: a probe is one request, and a pooled connection could outlive the task it reached.</summary>
    public bool CloseConnection { get; init; }
    /// <summary>How many bytes of the response body to keep as output (0 = do not read it).</summary>
    public int MaxBody { get; init; }
}

/// <summary>The answer: status code, the standard reason phrase and (up to <see cref="HttpProbeRequest.MaxBody"/>) the body.</summary>
public sealed record HttpProbeResponse(int StatusCode, string ReasonPhrase, string Body);

public static class HttpProbe
{
    public static HealthStatus Classify(int statusCode, HttpCheckRules rules) => rules switch
    {
        HttpCheckRules.Marathon => statusCode is >= 200 and < 400 ? HealthStatus.Passing : HealthStatus.Critical,
        _ => statusCode is >= 200 and <= 299 ? HealthStatus.Passing : statusCode == 429 ? HealthStatus.Warning : HealthStatus.Critical,
    };

    /// <summary>Sends the request; throws <see cref="HttpRequestException"/> when there is no answer, and honours <paramref name="ct"/> (the timeout).</summary>
    public static async Task<HttpProbeResponse> SendAsync(HttpClient http, HttpProbeRequest probe, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Uri);
        if (probe.Body is { Length: > 0 } body) req.Content = new StringContent(body, Encoding.UTF8);
        req.Headers.TryAddWithoutValidation("User-Agent", probe.UserAgent);
        if (probe.CloseConnection) req.Headers.ConnectionClose = true;
        foreach (var (name, values) in probe.Headers)
        {
            if (!req.Headers.TryAddWithoutValidation(name, values) && req.Content is not null)
            {
                req.Content.Headers.Remove(name);
                req.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var code = (int)resp.StatusCode;
        var text = probe.MaxBody > 0
            ? await ProbeOutput.ReadLimitedAsync(await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), probe.MaxBody, ct).ConfigureAwait(false)
            : "";
        return new HttpProbeResponse(code, StandardReason(code, resp.ReasonPhrase), text);
    }

    /// <summary>
    /// The standard phrase ("404 Not Found"), not whatever the app sent ("404 File not found" from Python): causes
    /// read the same for every app, and operators (and the CLI) can match on them.
    /// </summary>
    public static string StandardReason(int code, string? sent) =>
        ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } standard ? standard : sent ?? "";
}
