using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Dns.Server;
using Drover.Dns.Wire;

namespace Drover.Dns;

public sealed partial class DnsServer
{
    /// <summary>
    /// One of several threads blocked in recvfrom on the shared socket: a blocking receive and a
    /// blocking send per query, with buffers owned by the thread, is the cheapest path .NET has
    /// (no completion dispatch, no allocation); the kernel hands each datagram to one thread.
    /// </summary>
    private void UdpLoop()
    {
        var socket = _udp!;
        var request = new byte[MaxMessage + 1];
        var response = new byte[MaxMessage];
        var remote = new SocketAddress(socket.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(request, SocketFlags.None, remote);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                DnsLog.TransportError(_logger, "udp receive", e.Message);
                continue;
            }

            var start = Stopwatch.GetTimestamp();
            var outcome = DnsQueryHandler.Handle(Volatile.Read(ref _records), request.AsSpan(0, received), response, tcp: false, CanForward, out var length);
            try
            {
                if (outcome == QueryOutcome.Respond)
                {
                    socket.SendTo(response.AsSpan(0, length), SocketFlags.None, remote);
                    Observe(request.AsSpan(0, received), response.AsSpan(0, length), forwarded: false, start);
                }
                else if (outcome == QueryOutcome.Forward)
                {
                    var client = new SocketAddress(remote.Family, remote.Size);
                    remote.Buffer.CopyTo(client.Buffer);
                    Track(ForwardUdpAsync(request.AsSpan(0, received).ToArray(), client, start));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                DnsLog.TransportError(_logger, "udp send", e.Message);
            }
        }
    }

    private async Task ForwardUdpAsync(byte[] query, SocketAddress client, long start)
    {
        try
        {
            var answer = await _forwarder.ForwardAsync(query, clientOverTcp: false, _stop.Token).ConfigureAwait(false);
            if (answer is null)
            {
                answer = new byte[query.Length + 16];
                answer = answer.AsSpan(0, DnsQueryHandler.WriteFailure(query, answer, DnsResponseCode.ServFail, true)).ToArray();
            }

            if (answer.Length > 0)
            {
                _udp!.SendTo(answer, SocketFlags.None, client);
                Observe(query, answer, forwarded: true, start);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_stop.IsCancellationRequested)
            {
                DnsLog.TransportError(_logger, "udp forward", e.Message);
            }
        }
    }
}
