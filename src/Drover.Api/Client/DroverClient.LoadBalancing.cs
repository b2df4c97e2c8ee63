using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Drover.Api.LoadBalancing;
using Drover.Core.Retry;

namespace Drover.Api.Client;

/// <summary>What a load balancer needs: a blocking watch of the routing state, and registration with the index it applied.</summary>
public sealed partial class DroverClient
{
    /// <summary>
    /// One blocking query of GET /v1/drover/lb/state: answers at once when the state's index is past
    /// <paramref name="index"/> (0 = at once anyway), else when it moves or after <paramref name="wait"/> (then with the
    /// same index). The server adds up to wait/16 of jitter, as Consul does; the request timeout allows for it.
    /// </summary>
    public async Task<LbState> WatchLbStateAsync(long index, TimeSpan wait, CancellationToken ct = default)
    {
        var path = $"/v1/drover/lb/state?index={index}&wait={(long)Math.Ceiling(wait.TotalMilliseconds)}ms";
        return await SendAsync(HttpMethod.Get, path, null, LbJsonContext.Default.LbState, ct,
            timeout: wait + wait / 16 + TimeSpan.FromSeconds(15)).ConfigureAwait(false);
    }

    /// <summary>
    /// Follows the lb state: yields the first snapshot, then each one whose index moved. Failures (server down, a
    /// restart, a 5xx) are retried with capped backoff and never end the loop or yield an empty state, so the caller keeps
    /// what it had. When the index goes backwards (the server lost its store), it starts over from 0, as Consul clients
    /// do, and yields the server's state as it now is. Ends only with <paramref name="ct"/>; a 4xx (wrong token) throws.
    /// </summary>
    public async IAsyncEnumerable<LbState> FollowLbStateAsync(TimeSpan wait, TimeProvider? time = null, Action<Exception>? onError = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var backoff = new Backoff(time ?? TimeProvider.System, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        long index = 0;
        while (true)
        {
            LbState? state = null;
            try
            {
                state = await WatchLbStateAsync(index, wait, ct).ConfigureAwait(false);
                backoff.Reset();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && IsTransient(ex))
            {
                onError?.Invoke(ex);
            }
            if (state is null)
            {
                await backoff.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (state.Index == index) continue; // the wait ran out with nothing new
            index = state.Index;
            yield return state;
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        DroverApiException api => (int)api.Status >= 500 || api.Status == HttpStatusCode.TooManyRequests,
        HttpRequestException or TaskCanceledException or OperationCanceledException or IOException => true,
        System.Text.Json.JsonException => true, // a response cut off mid-body
        _ => false,
    };

    /// <summary>Registers or heartbeats this lb with the index it has put into effect; the answer says how often to heartbeat.</summary>
    public Task<LbInstance> HeartbeatLbAsync(string id, LbHeartbeat heartbeat, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"/v1/drover/lb/instances/{Uri.EscapeDataString(id)}", JsonContent.Create(heartbeat, LbJsonContext.Default.LbHeartbeat),
            LbJsonContext.Default.LbInstance, ct);

    /// <summary>On an orderly stop, so kills stop waiting for this lb at once.</summary>
    public Task DeregisterLbAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/drover/lb/instances/{Uri.EscapeDataString(id)}", null, ct);

    public Task<LbInstances> GetLbInstancesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "/v1/drover/lb/instances", null, LbJsonContext.Default.LbInstances, ct);
}
