using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Drover.Dns.Records;
using Drover.Dns.Server;
using Drover.Dns.Wire;

namespace Drover.Dns.Tests;

internal static class DnsTestClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs a query through the in-process handler, as the UDP (or TCP) path does.</summary>
    public static DnsMessage Ask(DnsRecordSet set, string name, DnsRecordType type, DnsEdns? edns = null, bool tcp = false, bool canForward = false)
    {
        var query = DnsMessage.Query(name, type, 0x1234, edns).ToArray();
        var response = new byte[ushort.MaxValue];
        var outcome = DnsQueryHandler.Handle(set, query, response, tcp, canForward, out var length);
        Assert.Equal(QueryOutcome.Respond, outcome);
        var message = DnsMessage.Parse(response.AsSpan(0, length));
        Assert.Equal(0x1234, message.Id);
        Assert.True(message.IsResponse);
        if (!tcp)
        {
            Assert.True(length <= (edns is null ? 512 : Math.Max(512, Math.Min((int)edns.UdpPayloadSize, set.Options.MaxUdpPayload))));
        }

        return message;
    }

    public static async Task<DnsMessage> UdpAsync(IPEndPoint server, DnsMessage query)
    {
        var bytes = await UdpRawAsync(server, query.ToArray());
        return DnsMessage.Parse(bytes ?? throw new TimeoutException("no UDP answer"));
    }

    /// <summary>The raw answer, or null when none came within <paramref name="wait"/>.</summary>
    public static async Task<byte[]?> UdpRawAsync(IPEndPoint server, byte[] query, TimeSpan? wait = null)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        await socket.SendAsync(query, SocketFlags.None);
        var buffer = new byte[ushort.MaxValue];
        using var cts = new CancellationTokenSource(wait ?? Timeout);
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return buffer.AsSpan(0, n).ToArray();
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return null; // no answer, or ICMP port unreachable
        }
    }

    public static async Task<DnsMessage> TcpAsync(IPEndPoint server, DnsMessage query)
    {
        using var socket = await ConnectAsync(server);
        await SendFramedAsync(socket, query.ToArray());
        return DnsMessage.Parse(await ReadFramedAsync(socket));
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(server, cts.Token);
        return socket;
    }

    public static async Task SendFramedAsync(Socket socket, byte[] message)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None);
    }

    public static async Task<byte[]> ReadFramedAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var prefix = new byte[2];
        await ReadExactlyAsync(socket, prefix, cts.Token);
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReadExactlyAsync(socket, message, cts.Token);
        return message;
    }

    /// <summary>True when the server closed the connection (read returned 0) within the timeout.</summary>
    public static async Task<bool> ClosedByPeerAsync(Socket socket, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            var buffer = new byte[512];
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true; // reset
        }
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        while (buffer.Length > 0)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
            if (n == 0)
            {
                throw new IOException("closed");
            }

            buffer = buffer[n..];
        }
    }

    public static IPAddress[] Addresses(DnsMessage message) =>
        message.Answers.Select(a => a.Data).OfType<DnsAddressData>().Select(a => a.Address).ToArray();

    public static string[] AddressStrings(DnsMessage message) =>
        Addresses(message).Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray();
}
