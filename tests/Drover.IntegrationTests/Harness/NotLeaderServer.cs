using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.IntegrationTests.Harness;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 that answers every request as a server that is not the leader would:
/// 503 with <c>X-Drover-Leader</c> naming the leader (the contract of Drover.Api.Client.ServerList).
/// </summary>
public sealed class NotLeaderServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _requests;

    public NotLeaderServer(Uri leader)
    {
        Leader = leader;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Leader { get; }
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (SocketException) { return; }
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim())).FirstOrDefault();
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, _stop.Token);
                Interlocked.Increment(ref _requests);
                var json = "{\"message\":\"not the leader\"}";
                var response = $"HTTP/1.1 503 Service Unavailable\r\nX-Drover-Leader: {Leader.ToString().TrimEnd('/')}\r\nContent-Type: application/json\r\n" +
                    $"Content-Length: {json.Length}\r\nConnection: close\r\n\r\n{json}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or EndOfStreamException)
            {
                // the client went away, or we are stopping
            }
        }
    }

    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 65536)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0) throw new EndOfStreamException();
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^1] == '\n' && buffer[^2] == '\r' && buffer[^3] == '\n' && buffer[^4] == '\r') break;
        }
        return Encoding.ASCII.GetString(buffer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
