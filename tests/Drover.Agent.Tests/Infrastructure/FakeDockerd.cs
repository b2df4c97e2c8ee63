using System.Globalization;
using System.Text;
using Drover.Agent.Docker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>One message of a fake container's log: which stream, Docker's time in ns since the epoch, and the text.</summary>
public sealed record FakeLogMessage(DockerStreamType Stream, long UnixNanos, string Text);

/// <summary>
/// A Docker daemon for one container, on a Unix socket the test owns, speaking what log readers use: GET
/// containers/{id}/logs (multiplexed frames, since inclusive to the nanosecond as dockerd filters, timestamps) and GET
/// containers/{id}/json. The test decides where a stream is cut (mid-frame, as a dying daemon leaves it) and when the
/// container stops or is gone.
/// </summary>
public sealed class FakeDockerd : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<FakeLogMessage> _messages = [];
    private readonly List<string> _logQueries = [];
    private readonly Dictionary<int, int> _cuts = [];
    private readonly Dictionary<int, FakeLogMessage[]> _later = [];

    private FakeDockerd(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>What inspect says; a follow stream ends once this is false and everything is written.</summary>
    public volatile bool Running = true;

    /// <summary>False: logs and inspect answer 404.</summary>
    public volatile bool Exists = true;

    /// <summary>The container is removed as a cut stream drops (its logs and inspect answer 404 from then on).</summary>
    public volatile bool RemovedAtCut;

    /// <summary>Requests (logs or inspect) still to answer 500, as a daemon restarting answers.</summary>
    public int Failures;

    /// <summary>What <see cref="Failures"/> becomes when a stream is cut: the daemon is away for that many requests.</summary>
    public int FailuresAtCut;

    /// <summary>Stop the container (Running = false) when this logs open (1-based) has written everything; 0: never.</summary>
    public int StopAfterOpen;

    /// <summary>The query string of every logs request, in order.</summary>
    public IReadOnlyList<string> LogQueries
    {
        get { lock (_logQueries) return [.. _logQueries]; }
    }

    public void Add(params FakeLogMessage[] messages)
    {
        lock (_messages) _messages.AddRange(messages);
    }

    /// <summary>The <paramref name="open"/>th logs request (1-based) is cut after <paramref name="frames"/> frames, in the middle of the next one.</summary>
    public void CutOpen(int open, int frames) => _cuts[open] = frames;

    /// <summary>The container writes these as the <paramref name="open"/>th logs request (1-based) begins.</summary>
    public void AddAtOpen(int open, params FakeLogMessage[] messages) => _later[open] = messages;

    public static async Task<FakeDockerd> StartAsync(string socketPath)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var fake = new FakeDockerd(app, socketPath);
        app.MapGet($"/v{DockerClient.ApiVersion}/containers/{{id}}/logs", fake.LogsAsync);
        app.MapGet($"/v{DockerClient.ApiVersion}/containers/{{id}}/json", fake.Inspect);
        await app.StartAsync();
        return fake;
    }

    private IResult Inspect(string id)
    {
        if (Interlocked.Decrement(ref Failures) >= 0) return Results.Json(new { message = "daemon restarting" }, statusCode: 500);
        if (!Exists) return Results.Json(new { message = $"No such container: {id}" }, statusCode: 404);
        var running = Running ? "true" : "false";
        return Results.Text("{\"Id\":\"" + id + "\",\"State\":{\"Status\":\"" + (Running ? "running" : "exited") + "\",\"Running\":" + running + "}}", "application/json");
    }

    private async Task LogsAsync(HttpContext context, string id)
    {
        int open;
        lock (_logQueries)
        {
            _logQueries.Add(context.Request.QueryString.Value ?? "");
            open = _logQueries.Count;
        }
        if (_later.TryGetValue(open, out var later)) Add(later);
        if (Interlocked.Decrement(ref Failures) >= 0)
        {
            context.Response.StatusCode = 500;
            return;
        }
        if (!Exists)
        {
            context.Response.StatusCode = 404;
            return;
        }
        var q = context.Request.Query;
        var streams = new HashSet<DockerStreamType>();
        if (q["stdout"] == "1") streams.Add(DockerStreamType.Stdout);
        if (q["stderr"] == "1") streams.Add(DockerStreamType.Stderr);
        var since = q["since"].ToString() is { Length: > 0 } s ? ParseSince(s) : long.MinValue;
        var timestamps = q["timestamps"] == "1";
        var follow = q["follow"] == "1";
        var tail = int.TryParse(q["tail"], CultureInfo.InvariantCulture, out var t) ? t : int.MaxValue;
        var cut = _cuts.TryGetValue(open, out var c) ? c : -1;
        context.Response.ContentType = "application/vnd.docker.multiplexed-stream";
        await context.Response.StartAsync();
        var written = 0;
        var next = 0;
        lock (_messages)
        {
            // tail counts the selected messages of both streams together, from the end
            var selected = _messages.Select((m, i) => (m, i)).Where(x => streams.Contains(x.m.Stream) && x.m.UnixNanos >= since).ToList();
            if (tail < selected.Count) next = tail == 0 ? _messages.Count : selected[^tail].i;
        }
        var ct = context.RequestAborted;
        while (!ct.IsCancellationRequested)
        {
            FakeLogMessage? message;
            lock (_messages) message = next < _messages.Count ? _messages[next] : null;
            if (message is null)
            {
                if (open == StopAfterOpen) Running = false;
                if (!follow || !Running) return;
                await Task.Delay(10, ct);
                continue;
            }
            next++;
            if (!streams.Contains(message.Stream) || message.UnixNanos < since) continue;
            var payload = (timestamps ? Stamp(message.UnixNanos) + " " : "") + message.Text;
            var frame = DockerLogFrames.Encode(message.Stream, Encoding.UTF8.GetBytes(payload));
            if (written == cut)
            {
                await context.Response.Body.WriteAsync(frame.AsMemory(0, frame.Length / 2), ct);
                await context.Response.Body.FlushAsync(ct);
                // the body ends here, inside a frame, as when a dying daemon closes its streams (an abort could drop what
                // Kestrel has not sent yet, and the test would not know what the client got)
                if (RemovedAtCut) Exists = false;
                Failures = FailuresAtCut;
                return;
            }
            await context.Response.Body.WriteAsync(frame, ct);
            await context.Response.Body.FlushAsync(ct);
            written++;
        }
    }

    private static long ParseSince(string text)
    {
        var dot = text.IndexOf('.');
        var seconds = long.Parse(dot < 0 ? text : text[..dot], CultureInfo.InvariantCulture);
        var nanos = dot < 0 ? 0 : long.Parse(text[(dot + 1)..].PadRight(9, '0'), CultureInfo.InvariantCulture);
        return seconds * 1_000_000_000L + nanos;
    }

    /// <summary>RFC 3339 with nine fraction digits, as dockerd writes its timestamps.</summary>
    public static string Stamp(long unixNanos)
    {
        var at = DateTimeOffset.UnixEpoch.AddTicks(unixNanos / 100);
        return at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + (unixNanos % 1_000_000_000L).ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(SocketPath);
    }
}
