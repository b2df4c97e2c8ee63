using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Drover.Dns.Wire;

namespace Drover.Dns.Tests;

/// <summary>
/// A recursor for forwarding tests on 127.0.0.1 (UDP and TCP on one free port): answers every
/// A query with 192.0.2.&lt;n&gt; records; with <see cref="TruncateUdp"/> its UDP answers carry TC
/// and only its TCP answers are whole.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _tcp = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _udpQueries;
    private int _tcpQueries;

    public FakeUpstream(int records = 1, bool truncateUdp = false)
    {
        Records = records;
        TruncateUdp = truncateUdp;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _tcp.Bind(_udp.LocalEndPoint!);
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                _udp.Dispose();
                _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            }
        }

        _tcp.Listen(16);
        Endpoint = (IPEndPoint)_udp.LocalEndPoint!;
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint Endpoint { get; }
    public int Records { get; }
    public bool TruncateUdp { get; }
    public int UdpQueries => Volatile.Read(ref _udpQueries);
    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    private byte[] Answer(byte[] query, bool truncate)
    {
        var q = DnsMessage.Parse(query);
        var question = q.Questions[0];
        var records = truncate ? [] : Enumerable.Range(1, Records)
            .Select(i => DnsResourceRecord.Address(question.Name, IPAddress.Parse($"192.0.2.{i % 250 + 1}"), 300)).ToList();
        return new DnsMessage
        {
            Id = q.Id, IsResponse = true, RecursionDesired = q.RecursionDesired, RecursionAvailable = true, Truncated = truncate,
            Questions = q.Questions, Answers = records,
        }.ToArray();
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[ushort.MaxValue];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Interlocked.Increment(ref _udpQueries);
                var answer = Answer(buffer[..result.ReceivedBytes], TruncateUdp);
                await _udp.SendToAsync(answer, SocketFlags.None, result.RemoteEndPoint, _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var client = await _tcp.AcceptAsync(_stop.Token);
                var query = await DnsTestClient.ReadFramedAsync(client);
                Interlocked.Increment(ref _tcpQueries);
                await DnsTestClient.SendFramedAsync(client, Answer(query, truncate: false));
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(DnsTestClient.Timeout);
    }

    internal static ushort ReadId(byte[] m) => BinaryPrimitives.ReadUInt16BigEndian(m);
}
