using System.Net.Sockets;

namespace Drover.Agent.Logs.Shipping;

/// <summary>One TCP connection to a json_lines collector; lines are written back to back, as Logstash's tcp input expects.</summary>
public sealed class TcpLogSink : ILogSink
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private TcpLogSink(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<TcpLogSink> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, ct).ConfigureAwait(false);
            return new TcpLogSink(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async Task SendAsync(IReadOnlyList<byte[]> lines, CancellationToken ct)
    {
        foreach (var line in lines) await _stream.WriteAsync(line, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
