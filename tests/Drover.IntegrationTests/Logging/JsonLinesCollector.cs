using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// A json_lines collector for tests: a TcpListener on a free 127.0.0.1 port that keeps every line it receives, or
/// (<c>reads: false</c>) accepts connections and never reads them, with a small receive window so they fill up soon.
/// </summary>
public sealed class JsonLinesCollector : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly List<Task> _readers = [];
    private Task _acceptor = Task.CompletedTask;

    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The --log-ship value pointing at this collector.</summary>
    public string Url => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static JsonLinesCollector Start(bool reads)
    {
        var c = new JsonLinesCollector();
        if (!reads) c._listener.Server.ReceiveBufferSize = 4096;
        c._listener.Start();
        c._acceptor = c.AcceptAsync(reads);
        return c;
    }

    private async Task AcceptAsync(bool reads)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _clients.Add(client);
                if (reads) lock (_readers) _readers.Add(Task.Run(() => ReadAsync(client)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task ReadAsync(TcpClient client)
    {
        using var reader = new StreamReader(client.GetStream());
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line) Received.Enqueue(line);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptor;
        Task[] readers;
        lock (_readers) readers = [.. _readers];
        await Task.WhenAll(readers);
        foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
