using System.Diagnostics;
using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Drover.Dns.Server;
using Drover.Dns.Wire;

namespace Drover.Dns;

public sealed partial class DnsServer
{
    private async Task AcceptLoopAsync()
    {
        var listener = _tcp!;
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                DnsLog.TransportError(_logger, "tcp accept", e.Message); // e.g. out of descriptors
                await Task.Yield();
                continue;
            }

            if (Interlocked.Increment(ref _tcpConnections) > _options.MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpConnections);
                DnsLog.TcpRejected(_logger, client.RemoteEndPoint?.ToString() ?? "?", _options.MaxTcpConnections);
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            Track(ServeTcpAsync(client));
        }
    }

    /// <summary>
    /// RFC 7766: length-prefixed messages, several per connection, answered in order; the
    /// connection closes after <see cref="DnsOptions.TcpIdleTimeout"/> without a complete query.
    /// </summary>
    private async Task ServeTcpAsync(Socket socket)
    {
        var request = ArrayPool<byte>.Shared.Rent(MaxMessage);
        var response = ArrayPool<byte>.Shared.Rent(MaxMessage + 2);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                idle.CancelAfter(_options.TcpIdleTimeout);
                if (!await ReadOrEndAsync(socket, request.AsMemory(0, 2), idle.Token).ConfigureAwait(false))
                {
                    return;
                }

                var length = BinaryPrimitives.ReadUInt16BigEndian(request);
                if (length == 0)
                {
                    return;
                }

                await DnsForwarder.ReadExactlyAsync(socket, request.AsMemory(0, length), idle.Token).ConfigureAwait(false);
                var start = Stopwatch.GetTimestamp();
                var outcome = DnsQueryHandler.Handle(Volatile.Read(ref _records), request.AsSpan(0, length), response.AsSpan(2, MaxMessage),
                    tcp: true, CanForward, out var answerLength);
                if (outcome == QueryOutcome.Drop)
                {
                    continue;
                }

                if (outcome == QueryOutcome.Forward)
                {
                    var query = request.AsSpan(0, length).ToArray();
                    var answer = await _forwarder.ForwardAsync(query, clientOverTcp: true, _stop.Token).ConfigureAwait(false);
                    if (answer is null)
                    {
                        answerLength = DnsQueryHandler.WriteFailure(query, response.AsSpan(2, MaxMessage), DnsResponseCode.ServFail, true);
                    }
                    else
                    {
                        answer.CopyTo(response, 2);
                        answerLength = answer.Length;
                    }
                }

                BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)answerLength);
                await socket.SendAsync(response.AsMemory(0, answerLength + 2), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                Observe(request.AsSpan(0, length), response.AsSpan(2, answerLength), forwarded: outcome == QueryOutcome.Forward, start);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // idle timeout, a client that went away, or shutdown
        }
        finally
        {
            // Free the slot before closing: a client that sees the close may connect again at once.
            Interlocked.Decrement(ref _tcpConnections);
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(request);
            ArrayPool<byte>.Shared.Return(response);
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed before sending anything.</summary>
    private static async Task<bool> ReadOrEndAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        var first = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel).ConfigureAwait(false);
        if (first == 0)
        {
            return false;
        }

        if (first < buffer.Length)
        {
            await DnsForwarder.ReadExactlyAsync(socket, buffer[first..], cancel).ConfigureAwait(false);
        }

        return true;
    }
}
