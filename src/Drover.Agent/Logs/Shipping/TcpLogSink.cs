using System.Net.Security;
using System.Net.Sockets;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// One TCP connection to a json_lines collector, plain (tcp://) or inside TLS (tls://, what Logstash's tcp input with
/// ssl_enabled and Vector's socket source with tls accept); lines are written back to back, as Logstash's tcp input expects.
/// </summary>
public sealed class TcpLogSink : ILogSink
{
    private readonly TcpClient _client;
    private readonly Stream _stream;

    private TcpLogSink(TcpClient client, Stream stream)
    {
        _client = client;
        _stream = stream;
    }

    /// <param name="tls">Null: plain TCP; otherwise a TLS client handshake checked by it, with <paramref name="host"/> as the server name.</param>
    public static async Task<TcpLogSink> ConnectAsync(string host, int port, CollectorTls? tls, CancellationToken ct)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, ct).ConfigureAwait(false);
            if (tls is null) return new TcpLogSink(client, client.GetStream());
            var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await tls.ExplainAsync(async () =>
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        RemoteCertificateValidationCallback = tls.Validate,
                        LocalCertificateSelectionCallback = tls.SelectClientCertificate,
                    }, ct).ConfigureAwait(false);
                    tls.CheckClientCertificate();
                    return true;
                }).ConfigureAwait(false);
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            return new TcpLogSink(client, ssl);
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
