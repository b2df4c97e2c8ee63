using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Drover.Agent.Docker;

/// <summary>What GET /containers/{id}/logs should return.</summary>
public sealed record DockerLogQuery
{
    public bool Stdout { get; init; }
    public bool Stderr { get; init; }
    public bool Follow { get; init; }
    /// <summary>Docker's tail counts the lines of both streams together; null = all.</summary>
    public int? Tail { get; init; }
    /// <summary>Only messages at or after this moment (nanosecond precision).</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Like <see cref="Since"/> in nanoseconds since the epoch (all of Docker's precision); wins over it.</summary>
    public long? SinceUnixNanos { get; init; }
    /// <summary>Prefix every message with its RFC 3339 (nano) time and a space.</summary>
    public bool Timestamps { get; init; }
}

public sealed partial class DockerClient
{
    /// <summary>
    /// GET /containers/{id}/logs: the open multiplexed stream (read it with <see cref="DockerLogFrames"/>); null when
    /// the container does not exist. With <see cref="DockerLogQuery.Follow"/> it ends when the container stops.
    /// </summary>
    public async Task<Stream?> OpenLogsAsync(string id, DockerLogQuery query, CancellationToken ct = default)
    {
        var q = $"stdout={B(query.Stdout)}&stderr={B(query.Stderr)}&follow={B(query.Follow)}&timestamps={B(query.Timestamps)}"
                + (query.Tail is { } tail ? "&tail=" + tail.ToString(CultureInfo.InvariantCulture) : "&tail=all")
                + (query.SinceUnixNanos is { } ns ? "&since=" + UnixTime(ns)
                    : query.Since is { } since ? "&since=" + UnixTime(since) : "");
        var response = await SendAsync("logs " + Short(id), HttpMethod.Get, $"containers/{Escape(id)}/logs?{q}", null, null, ct,
            [HttpStatusCode.NotFound]).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        return new ResponseStream(response, await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
    }

    /// <summary>
    /// GET /events with the given filters (e.g. type=container, event=die, label=...): messages as they happen,
    /// from <paramref name="since"/> on when given (Docker replays what it still has), until <paramref name="ct"/>.
    /// </summary>
    public async IAsyncEnumerable<DockerEvent> EventsAsync(IReadOnlyDictionary<string, List<string>> filters, DateTimeOffset? since,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var q = "filters=" + Escape(JsonSerializer.Serialize(new Dictionary<string, List<string>>(filters), DockerJsonContext.Default.DictionaryStringListString))
                + (since is { } s ? "&since=" + UnixTime(s) : "");
        using var response = await SendAsync("events", HttpMethod.Get, "events?" + q, null, null, ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await foreach (var e in DockerEvents.ReadAsync(body, ct).ConfigureAwait(false)) yield return e;
    }

    /// <summary>Seconds since the epoch with nanoseconds, as Docker's since/until parameters take them.</summary>
    public static string UnixTime(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{rest * 100:D9}");
    }

    /// <summary>Nanoseconds since the epoch as Docker's since takes them ("seconds.nanoseconds").</summary>
    public static string UnixTime(long unixNanos) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.DivRem(unixNanos, 1_000_000_000L, out var rest)}.{rest:D9}");

    private static string B(bool b) => b ? "1" : "0";

    /// <summary>A response body that disposes its response (and so the connection) with it.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
