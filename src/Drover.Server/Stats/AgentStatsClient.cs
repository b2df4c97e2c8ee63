using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Drover.Api;
using Drover.Core.Cluster;
using Drover.Server.Http;

namespace Drover.Server.Stats;

/// <summary>
/// Reads figures from agents' own endpoints, as the task logs are read: with the "agents" client, which presents the
/// join secret. An agent that does not answer in time, or answers nonsense, is an <see cref="ApiException"/> naming it
/// (502/504), never a hang.
/// </summary>
public sealed class AgentStatsClient(IHttpClientFactory httpFactory)
{
    /// <summary>Covers the agent's second reading for the CPU rate and a slow Docker stats call.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The agent's answer at <paramref name="path"/>; null on its 404 (the agent no longer runs the task).</summary>
    public async Task<(T? Value, string? NotFound)> GetAsync<T>(AgentInfo agent, string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        if (agent.Endpoint is null) throw new ApiException(503, $"agent {agent.Id} ({agent.Hostname}) has no reachable endpoint");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Timeout);
        try
        {
            using var resp = await httpFactory.CreateClient("agents").GetAsync(agent.Endpoint.TrimEnd('/') + path, cts.Token).ConfigureAwait(false);
            if (resp.StatusCode == HttpStatusCode.NotFound)
            {
                var msg = await ReadMessageAsync(resp, cts.Token).ConfigureAwait(false);
                return (default, msg);
            }
            if (!resp.IsSuccessStatusCode)
                throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) answered {(int)resp.StatusCode}: {await ReadMessageAsync(resp, cts.Token).ConfigureAwait(false)}");
            return (await resp.Content.ReadFromJsonAsync(type, cts.Token).ConfigureAwait(false)
                    ?? throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) answered an empty body"), null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ApiException(504, $"agent {agent.Id} ({agent.Hostname}) at {agent.Endpoint} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) at {agent.Endpoint} did not answer: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new ApiException(502, $"agent {agent.Id} ({agent.Hostname}) answered invalid JSON: {e.Message}");
        }
    }

    private static async Task<string> ReadMessageAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            if (JsonSerializer.Deserialize(text, ApiJsonContext.Default.MessageResponse)?.Message is { } m) return m;
        }
        catch (JsonException) { }
        return text.Trim();
    }
}
