using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Drover.State.Etcd.Client;

/// <summary>
/// A small typed client for etcd's v3 JSON gateway (<c>POST /v3/…</c>, served by etcd 3.4 itself). Several endpoints
/// are tried in turn: a connection error, a timeout or an "unavailable" answer moves on to the next, and the one that
/// answered last is tried first next time (as etcd's own clientv3 balancer does).
/// </summary>
public sealed partial class EtcdClient : IDisposable
{
    private static readonly EtcdJsonContext Json = EtcdJsonContext.Default;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private volatile int _preferred;

    public EtcdClient(IReadOnlyList<Uri> endpoints, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0) throw new ArgumentException("at least one etcd endpoint is needed", nameof(endpoints));
        foreach (var e in endpoints)
            if (e.Scheme is not ("http" or "https")) throw new ArgumentException($"etcd endpoint '{e}' is not an http(s) URL", nameof(endpoints));
        Endpoints = endpoints;
        _ownsHttp = true;
        // Per-request deadlines instead of HttpClient.Timeout: watches stream forever.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }, disposeHandler: handler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Parses <c>http://a:2379,http://b:2379</c>.</summary>
    public static EtcdClient Create(string endpoints)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoints);
        var list = new List<Uri>();
        foreach (var part in endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri))
                throw new ArgumentException($"'{part}' is not an etcd endpoint URL (expected e.g. http://127.0.0.1:2379)", nameof(endpoints));
            list.Add(uri);
        }
        return new EtcdClient(list);
    }

    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>How long one endpoint gets to answer a unary request before the next is tried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The endpoint that answered last (tried first).</summary>
    public Uri PreferredEndpoint => Endpoints[_preferred];

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken ct = default) =>
        CallAsync("/v3/kv/range", request, Json.RangeRequest, Json.RangeResponse, idempotent: true, ct);

    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken ct = default) =>
        CallAsync("/v3/kv/put", request, Json.PutRequest, Json.PutResponse, idempotent: false, ct);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken ct = default) =>
        CallAsync("/v3/kv/deleterange", request, Json.DeleteRangeRequest, Json.DeleteRangeResponse, idempotent: false, ct);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken ct = default) =>
        CallAsync("/v3/kv/txn", request, Json.TxnRequest, Json.TxnResponse, idempotent: false, ct);

    /// <summary>Compacting twice to the same revision is harmless, so this one is retried elsewhere.</summary>
    public Task<CompactionResponse> CompactAsync(long revision, bool physical = false, CancellationToken ct = default) =>
        CallAsync("/v3/kv/compaction", new CompactionRequest(revision, physical), Json.CompactionRequest, Json.CompactionResponse, idempotent: true, ct);

    public Task<LeaseGrantResponse> LeaseGrantAsync(long ttlSeconds, CancellationToken ct = default) =>
        CallAsync("/v3/lease/grant", new LeaseGrantRequest(ttlSeconds), Json.LeaseGrantRequest, Json.LeaseGrantResponse, idempotent: false, ct);

    /// <summary>One keepalive round trip; a response with TTL 0 means the lease is gone.</summary>
    public async Task<LeaseKeepAliveResponse> LeaseKeepAliveAsync(long leaseId, CancellationToken ct = default)
    {
        var envelope = await CallAsync("/v3/lease/keepalive", new LeaseIdRequest(leaseId), Json.LeaseIdRequest, Json.LeaseKeepAliveEnvelope, idempotent: true, ct)
            .ConfigureAwait(false);
        return envelope.Result ?? new LeaseKeepAliveResponse(Id: leaseId);
    }

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long leaseId, CancellationToken ct = default) =>
        CallAsync("/v3/lease/revoke", new LeaseIdRequest(leaseId), Json.LeaseIdRequest, Json.LeaseRevokeResponse, idempotent: true, ct);

    /// <summary>The status of the preferred endpoint's member (or the next that answers).</summary>
    public Task<StatusResponse> StatusAsync(CancellationToken ct = default) =>
        CallAsync("/v3/maintenance/status", new EmptyRequest(), Json.EmptyRequest, Json.StatusResponse, idempotent: true, ct);

    public Task<MemberListResponse> MemberListAsync(CancellationToken ct = default) =>
        CallAsync("/v3/cluster/member/list", new EmptyRequest(), Json.EmptyRequest, Json.MemberListResponse, idempotent: true, ct);

    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        string path, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, bool idempotent, CancellationToken ct)
    {
        var failures = new List<string>();
        Exception? last = null;
        var start = _preferred;
        for (var attempt = 0; attempt < Endpoints.Count; attempt++)
        {
            var index = (start + attempt) % Endpoints.Count;
            var endpoint = Endpoints[index];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(RequestTimeout);
            var sent = false;
            try
            {
                using var content = JsonContent.Create(request, requestType);
                await content.LoadIntoBufferAsync(deadline.Token).ConfigureAwait(false);
                sent = true;
                using var response = await _http.PostAsync(new Uri(endpoint, path), content, deadline.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadFromJsonAsync(responseType, deadline.Token).ConfigureAwait(false)
                        ?? throw new EtcdException($"{endpoint}: empty answer to {path}");
                    _preferred = index;
                    return body;
                }
                var error = await ReadErrorAsync(response, deadline.Token).ConfigureAwait(false);
                var failure = new EtcdException(error.Error ?? error.Message ?? $"HTTP {(int)response.StatusCode} from {path}", error.Code);
                // A member without a leader refused the request before applying it: another member may have one.
                if (response.StatusCode >= HttpStatusCode.InternalServerError && (idempotent || IsRefusedBeforeApply(failure)))
                {
                    failures.Add($"{endpoint}: {failure.Message}");
                    last = failure;
                    continue;
                }
                if (response.StatusCode >= HttpStatusCode.InternalServerError && await NoLeaderAsync(ct).ConfigureAwait(false) is { } noLeader)
                    throw new EtcdUnavailableException($"{path} refused: {noLeader} ({failure.Message})", failure);
                throw failure;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException ex)
            {
                if (!idempotent && sent)
                {
                    // A member without quorum holds a write until it times out; say so rather than just "timed out".
                    if (await NoLeaderAsync(ct).ConfigureAwait(false) is { } noLeader)
                        throw new EtcdUnavailableException($"{path} refused: {noLeader}", ex);
                    throw new EtcdOutcomeUnknownException($"{endpoint}{path}: no answer within {RequestTimeout.TotalSeconds:0.#} s; the write may or may not have been applied", ex);
                }
                failures.Add($"{endpoint}: no answer within {RequestTimeout.TotalSeconds:0.#} s");
                last = ex;
            }
            catch (HttpRequestException ex)
            {
                if (!idempotent && ex.HttpRequestError != HttpRequestError.ConnectionError)
                    throw new EtcdOutcomeUnknownException($"{endpoint}{path}: {ex.Message}; the write may or may not have been applied", ex);
                failures.Add($"{endpoint}: {ex.Message}");
                last = ex;
            }
        }
        // a write gets here only when no endpoint took it (a write sent and unanswered threw above, not retried)
        throw new EtcdUnavailableException($"etcd unavailable for {path}: {string.Join("; ", failures)}", last, writeNotApplied: !idempotent);
    }

    /// <summary>
    /// Asks every endpoint for its status (briefly); when none knows a leader, returns a sentence naming the lost
    /// quorum, else null. etcd reports "etcdserver: no leader" in the status of a member that has lost its quorum.
    /// </summary>
    public async Task<string?> NoLeaderAsync(CancellationToken ct = default)
    {
        var details = new List<string>();
        var reachable = 0;
        foreach (var endpoint in Endpoints)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                using var content = JsonContent.Create(new EmptyRequest(), Json.EmptyRequest);
                using var response = await _http.PostAsync(new Uri(endpoint, "/v3/maintenance/status"), content, deadline.Token).ConfigureAwait(false);
                var status = await response.Content.ReadFromJsonAsync(Json.StatusResponse, deadline.Token).ConfigureAwait(false);
                reachable++;
                if (status is { Leader: not 0 } && status.Errors is not { Count: > 0 }) return null;
                details.Add($"{endpoint}: {string.Join(", ", status?.Errors ?? ["no leader"])}");
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !ct.IsCancellationRequested)
            {
                details.Add($"{endpoint}: unreachable");
            }
        }
        return $"etcd has no leader (quorum lost: {Endpoints.Count - reachable} of {Endpoints.Count} members unreachable) — {string.Join("; ", details)}";
    }

    private static bool IsRefusedBeforeApply(EtcdException e) =>
        e.Message.Contains("no leader", StringComparison.Ordinal) || e.Message.Contains("not capable", StringComparison.Ordinal);

    private static async Task<EtcdErrorBody> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(text, Json.EtcdErrorBody) ?? new EtcdErrorBody(text);
        }
        catch (JsonException)
        {
            return new EtcdErrorBody($"HTTP {(int)response.StatusCode}: {text.Trim()}");
        }
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
