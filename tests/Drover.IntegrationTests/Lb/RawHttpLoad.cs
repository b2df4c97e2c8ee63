using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// Sends GETs through the lb as fast as one connection per client allows and counts every outcome precisely. It speaks
/// HTTP/1.1 over a raw socket on purpose: HttpClient silently retries a request whose pooled connection was closed
/// under it, which would hide exactly the keep-alive failures (a reload or a killed server closing a reused
/// connection) this load has to catch. Like wrk, it never retries: every request that got no 2xx is a failure.
/// </summary>
public sealed class RawHttpLoad : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private long _ok;

    /// <param name="keepAlive">Connections stay open across requests (until the lb answers "Connection: close"); otherwise one connection per request.</param>
    public RawHttpLoad(int port, string host, int clients, bool keepAlive)
    {
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => ClientAsync(port, host, keepAlive)))];
    }

    public long Succeeded => Interlocked.Read(ref _ok);
    public ConcurrentQueue<string> Failures { get; } = new();
    /// <summary>Response bodies seen, with how often: the apps answer with their version and task id.</summary>
    public ConcurrentDictionary<string, int> Bodies { get; } = new();

    public string Summary(string name) =>
        $"{name}: {Succeeded} ok, {Failures.Count} failed{(Failures.IsEmpty ? "" : ": " + string.Join("; ", Failures.Take(5)))}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
    }

    private async Task ClientAsync(int port, string host, bool keepAlive)
    {
        var request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {host}\r\n{(keepAlive ? "" : "Connection: close\r\n")}\r\n");
        var buffer = new byte[64 * 1024];
        Socket? socket = null;
        while (!_stop.IsCancellationRequested)
        {
            var phase = "connect";
            using var timeout = new CancellationTokenSource(RequestTimeout);
            try
            {
                if (socket is null)
                {
                    socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync("127.0.0.1", port, timeout.Token);
                }
                phase = "send";
                await socket.SendAsync(request, SocketFlags.None, timeout.Token);
                phase = "receive";
                var (status, body, close) = await ReadResponseAsync(socket, buffer, timeout.Token);
                if (status is >= 200 and < 300)
                {
                    Interlocked.Increment(ref _ok);
                    Bodies.AddOrUpdate(body, 1, (_, n) => n + 1);
                }
                else Failures.Enqueue($"HTTP {status} {body.Trim()}");
                if (close || !keepAlive) Close(ref socket);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or InvalidDataException)
            {
                Failures.Enqueue($"{phase}: {e.GetType().Name}: {e.Message}");
                Close(ref socket);
            }
        }
        Close(ref socket);
    }

    private static void Close(ref Socket? socket)
    {
        socket?.Dispose();
        socket = null;
    }

    /// <summary>One response: status line, headers (Content-Length and Connection matter), body.</summary>
    private static async Task<(int Status, string Body, bool Close)> ReadResponseAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer, filled)) < 0)
            filled += await ReceiveSomeAsync(socket, buffer, filled, ct);
        var head = Encoding.ASCII.GetString(buffer, 0, headerEnd).Split("\r\n");
        var statusParts = head[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(statusParts[1], out var status))
            throw new InvalidDataException($"not an HTTP status line: '{head[0]}'");
        var length = 0;
        var close = statusParts[0] == "HTTP/1.0";
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) length = int.Parse(value);
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) close = value.Equals("close", StringComparison.OrdinalIgnoreCase);
        }
        var bodyStart = headerEnd + 4;
        if (bodyStart + length > buffer.Length) throw new InvalidDataException($"response body of {length} bytes is larger than this load expects");
        while (filled < bodyStart + length)
            filled += await ReceiveSomeAsync(socket, buffer, filled, ct);
        return (status, Encoding.UTF8.GetString(buffer, bodyStart, length), close);
    }

    private static async Task<int> ReceiveSomeAsync(Socket socket, byte[] buffer, int offset, CancellationToken ct)
    {
        if (offset == buffer.Length) throw new InvalidDataException("response headers larger than the buffer");
        var n = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, ct);
        return n > 0 ? n : throw new IOException($"connection closed by the lb after {offset} bytes of the response");
    }

    private static int IndexOfHeaderEnd(byte[] buffer, int filled) => buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
}
