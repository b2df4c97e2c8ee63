using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Drover.Dns.Wire;
using Microsoft.Extensions.Logging;

namespace Drover.Dns.Server;

/// <summary>
/// Relays queries for names outside the zone to the recursors, in turn, each with a timeout:
/// over UDP from a fresh socket (a random source port per query, connected so only the recursor
/// can answer), then over TCP when the UDP answer is truncated and the client came over TCP.
/// A UDP client gets a truncated answer as it is and retries over TCP itself.
/// </summary>
internal sealed class DnsForwarder(IReadOnlyList<IPEndPoint> recursors, TimeSpan timeout, int maxInFlight, ILogger logger)
{
    // never disposed: a forward still in flight at shutdown releases its slot afterwards
    private readonly SemaphoreSlim _slots = new(maxInFlight, maxInFlight);
    private int _next = -1;

    public IReadOnlyList<IPEndPoint> Recursors => recursors;

    public bool Enabled => recursors.Count > 0;

    /// <summary>The recursor's answer, or null when none answered (the caller sends SERVFAIL).</summary>
    public async Task<byte[]?> ForwardAsync(byte[] query, bool clientOverTcp, CancellationToken cancel)
    {
        if (!Enabled)
        {
            return null;
        }

        if (!_slots.Wait(0))
        {
            DnsLog.ForwardSaturated(logger, maxInFlight);
            return null;
        }

        try
        {
            var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)recursors.Count);
            for (var i = 0; i < recursors.Count; i++)
            {
                var recursor = recursors[(first + i) % recursors.Count];
                try
                {
                    var answer = await UdpAsync(recursor, query, cancel).ConfigureAwait(false);
                    if (clientOverTcp && (BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(2)) & DnsFlags.TC) != 0)
                    {
                        answer = await TcpAsync(recursor, query, cancel).ConfigureAwait(false);
                    }

                    return answer;
                }
                catch (Exception e) when (!cancel.IsCancellationRequested && e is SocketException or OperationCanceledException or IOException or DnsFormatException)
                {
                    DnsLog.ForwardFailed(logger, recursor, e is OperationCanceledException ? "timed out" : e.Message);
                }
            }

            return null;
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<byte[]> UdpAsync(IPEndPoint recursor, byte[] query, CancellationToken cancel)
    {
        using var socket = new Socket(recursor.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        await socket.ConnectAsync(recursor, deadline.Token).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, deadline.Token).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(ushort.MaxValue);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (Matches(query, buffer.AsSpan(0, n)))
                {
                    return buffer.AsSpan(0, n).ToArray();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<byte[]> TcpAsync(IPEndPoint recursor, byte[] query, CancellationToken cancel)
    {
        using var socket = new Socket(recursor.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        await socket.ConnectAsync(recursor, deadline.Token).ConfigureAwait(false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None, deadline.Token).ConfigureAwait(false);
        var prefix = new byte[2];
        await ReadExactlyAsync(socket, prefix, deadline.Token).ConfigureAwait(false);
        var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReadExactlyAsync(socket, answer, deadline.Token).ConfigureAwait(false);
        return Matches(query, answer) ? answer : throw new DnsFormatException("recursor answered another query over TCP");
    }

    internal static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        while (buffer.Length > 0)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("connection closed");
            }

            buffer = buffer[n..];
        }
    }

    /// <summary>A response with the query's id whose question is the query's, byte for byte.</summary>
    private static bool Matches(ReadOnlySpan<byte> query, ReadOnlySpan<byte> answer)
    {
        if (answer.Length < DnsMessage.HeaderLength || (answer[2] & 0x80) == 0 || !answer[..2].SequenceEqual(query[..2]))
        {
            return false;
        }

        var questionEnd = QuestionEnd(query);
        return questionEnd < 0 || (answer.Length >= questionEnd
                                   && answer.Slice(DnsMessage.HeaderLength, questionEnd - DnsMessage.HeaderLength)
                                       .SequenceEqual(query[DnsMessage.HeaderLength..questionEnd]));
    }

    private static int QuestionEnd(ReadOnlySpan<byte> query)
    {
        if (query.Length < DnsMessage.HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return -1;
        }

        var pos = DnsMessage.HeaderLength;
        while (pos < query.Length && query[pos] != 0)
        {
            if (query[pos] > DnsName.MaxLabelLength)
            {
                return -1;
            }

            pos += 1 + query[pos];
        }

        return pos + 5 <= query.Length ? pos + 5 : -1;
    }
}
