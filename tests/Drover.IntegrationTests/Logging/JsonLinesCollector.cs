using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Drover.IntegrationTests.Logging;

/// <summary>
/// A json_lines collector for tests: a TcpListener on a free 127.0.0.1 port that keeps every line it receives, or
/// (<c>reads: false</c>) accepts connections and never reads them, with a small receive window so they fill up soon.
/// With a certificate it speaks TLS (tls://) and counts the handshakes that failed.
/// </summary>
public sealed class JsonLinesCollector : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly List<Task> _readers = [];
    private Task _acceptor = Task.CompletedTask;

    private X509Certificate2? _certificate;
    private int _failedHandshakes;

    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>TLS handshakes the client gave up on (it did not trust the certificate).</summary>
    public int FailedHandshakes => Volatile.Read(ref _failedHandshakes);

    /// <summary>The --log-ship value pointing at this collector.</summary>
    public string Url => $"{(_certificate is null ? "tcp" : "tls")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <param name="certificate">With its private key: the collector speaks TLS with it.</param>
    public static JsonLinesCollector Start(bool reads, X509Certificate2? certificate = null)
    {
        var c = new JsonLinesCollector { _certificate = certificate };
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
        Stream stream = client.GetStream();
        if (_certificate is not null)
        {
            var ssl = new SslStream(stream);
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                Interlocked.Increment(ref _failedHandshakes);
                await ssl.DisposeAsync();
                return;
            }
            stream = ssl;
        }
        using var reader = new StreamReader(stream);
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
