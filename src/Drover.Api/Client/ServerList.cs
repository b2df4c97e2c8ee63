using System.Net;
using System.Text.Json;

namespace Drover.Api.Client;

/// <summary>A client moved from one server to another, and why.</summary>
public sealed record ServerSwitch(Uri From, Uri To, string Reason);

/// <summary>
/// Sends every request to the current server of a list (agents' <c>--join a,b,c</c>), as Nomad clients keep a server
/// list: a server that cannot be reached is skipped for the next one, in order, within the same request (one round;
/// after that the caller backs off and tries again); a server that is not the leader and says so — a 307/308
/// redirect, or a 503 naming the leader in an <c>X-Drover-Leader</c> header or a JSON <c>"leader"</c> field — is
/// left for the leader it names, which may be a server not in the list. Requests keep their path and query; only
/// the scheme, host and port change.
/// </summary>
/// <remarks>
/// The contract for servers that are not the leader (HA, to come): answer 307/308 with <c>Location</c> at the
/// leader, or 503 with <c>X-Drover-Leader: http://host:port</c> (or <c>{"message":"…","leader":"host:port"}</c>).
/// A leader named without a scheme keeps the current one. Request bodies are sent again after a redirect, so they
/// must be re-readable (the client's JSON bodies are).
/// </remarks>
public sealed class ServerList : DelegatingHandler
{
    /// <summary>Header a server that is not the leader names the leader in.</summary>
    public const string LeaderHeader = "X-Drover-Leader";
    private const int MaxLeaderHops = 3;

    private readonly Lock _gate = new();
    private readonly IReadOnlyList<Uri> _seeds;
    private int _index;
    private Uri? _leader;

    public ServerList(IReadOnlyList<Uri> servers, HttpMessageHandler inner) : base(inner)
    {
        if (servers.Count == 0) throw new ArgumentException("at least one server is needed", nameof(servers));
        _seeds = servers.Select(Origin).ToList();
    }

    /// <summary>
    /// How long a request may wait for a leader: a 503 carrying <c>Retry-After</c> (a server saying no leader is elected
    /// yet and nothing was applied) is sent again after the delay it asks for, until this much time has passed since
    /// the first such answer. Zero (the default) returns the 503 at once; the CLI waits, agents have their own backoff.
    /// </summary>
    public TimeSpan WaitForLeader { get; init; }

    /// <summary>The clock for <see cref="WaitForLeader"/> (fake in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Raised (on the sending thread) whenever requests move to another server.</summary>
    public event Action<ServerSwitch>? Switched;

    /// <summary>The servers given, in order.</summary>
    public IReadOnlyList<Uri> Seeds => _seeds;

    /// <summary>The server requests go to now.</summary>
    public Uri Current
    {
        get
        {
            lock (_gate) return _leader ?? _seeds[_index];
        }
    }

    /// <summary>Moves on from <paramref name="failed"/> (if it is still current) to the next server: the caller saw it time out.</summary>
    public void MarkFailed(Uri failed, string reason)
    {
        ServerSwitch? change;
        lock (_gate) change = MoveOnLocked(Origin(failed), reason);
        if (change is not null) Switched?.Invoke(change);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var pathAndQuery = request.RequestUri!.PathAndQuery;
        var unreachable = 0;
        var hops = 0;
        long? waitingSince = null;
        while (true)
        {
            var target = Current;
            request.RequestUri = new Uri(target, pathAndQuery);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested && IsUnreachable(e))
            {
                MarkFailed(target, $"{target} is unreachable ({e.Message})");
                // one round through the list per request; then the caller's backoff decides when to try again
                if (++unreachable >= _seeds.Count || Current == target) throw;
                continue;
            }
            var leader = await LeaderNamedByAsync(response, target, ct).ConfigureAwait(false);
            if (leader is null && RetryAfter(response) is { } delay)
            {
                waitingSince ??= Time.GetTimestamp();
                if (Time.GetElapsedTime(waitingSince.Value) + delay > WaitForLeader) return response;
                response.Dispose();
                await Task.Delay(delay, Time, ct).ConfigureAwait(false);
                continue;
            }
            if (leader is null || leader == target || hops++ >= MaxLeaderHops) return response;
            response.Dispose();
            FollowLeader(target, leader);
        }
    }

    private void FollowLeader(Uri from, Uri leader)
    {
        ServerSwitch? change = null;
        lock (_gate)
        {
            if ((_leader ?? _seeds[_index]) == from)
            {
                _leader = leader;
                change = new ServerSwitch(from, leader, $"{from} is not the leader; following the leader {leader}");
            }
        }
        if (change is not null) Switched?.Invoke(change);
    }

    private ServerSwitch? MoveOnLocked(Uri failed, string reason)
    {
        var current = _leader ?? _seeds[_index];
        if (current != failed) return null; // another request moved on already
        if (_leader is not null) _leader = null; // a leader that went away: back to the list, where we left it
        else _index = (_index + 1) % _seeds.Count;
        var next = _leader ?? _seeds[_index];
        return next == failed ? null : new ServerSwitch(failed, next, reason);
    }

    /// <summary>A 503's Retry-After as a delay (1–5 s; seconds form only), or null when it has none.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } delta
            ? TimeSpan.FromSeconds(Math.Clamp(delta.TotalSeconds, 1, 5))
            : null;

    /// <summary>Connection refused, no route, name not found: the server is not there. A refused TLS handshake is not this.</summary>
    private static bool IsUnreachable(HttpRequestException e) =>
        e is not Security.ServerTrustException && e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;

    private static async Task<Uri?> LeaderNamedByAsync(HttpResponseMessage response, Uri current, CancellationToken ct)
    {
        if (response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect && response.Headers.Location is { } location)
            return Origin(location.IsAbsoluteUri ? location : new Uri(current, location));
        if (response.StatusCode != HttpStatusCode.ServiceUnavailable) return null;
        if (response.Headers.TryGetValues(LeaderHeader, out var values) && ParseLeader(values.FirstOrDefault(), current) is { } named)
            return named;
        try
        {
            await response.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("leader", out var l) && l.ValueKind == JsonValueKind.String
                ? ParseLeader(l.GetString(), current)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>"http://host:port", or Marathon's "host:port" (with the current scheme). Empty: no leader known.</summary>
    private static Uri? ParseLeader(string? value, Uri current)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (!value.Contains("://", StringComparison.Ordinal)) value = $"{current.Scheme}://{value}";
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? Origin(uri) : null;
    }

    private static Uri Origin(Uri u) => new(u.GetLeftPart(UriPartial.Authority) + "/");
}
