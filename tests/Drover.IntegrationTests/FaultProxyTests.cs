using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests;

/// <summary>The partition proxy on a loopback echo server: it passes, refuses like a dead peer, goes silent like a partition, and heals.</summary>
public sealed class FaultProxyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 60_000)]
    public async Task Passes_refuses_blackholes_and_heals()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        using var stop = new CancellationTokenSource();
        var serving = EchoAsync(echo, stop.Token);
        await using var proxy = FaultProxy.Start(new Uri($"http://127.0.0.1:{((IPEndPoint)echo.LocalEndpoint).Port}"));

        using (var passing = await ConnectAsync(proxy))
            Assert.Equal("one", await RoundTripAsync(passing, "one", Deadline));

        // refuse: the established connection is reset, a new one refused
        using var established = await ConnectAsync(proxy);
        Assert.Equal("two", await RoundTripAsync(established, "two", Deadline));
        proxy.Cut(LinkFault.Refuse);
        await Assert.ThrowsAnyAsync<Exception>(async () => await RoundTripAsync(established, "reset?", Deadline));
        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(proxy));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        proxy.Heal();
        using (var again = await ConnectAsync(proxy))
            Assert.Equal("three", await RoundTripAsync(again, "three", Deadline));

        // blackhole: connections stay open but nothing comes back (a bounded look for an answer that must not come)
        using var held = await ConnectAsync(proxy);
        Assert.Equal("four", await RoundTripAsync(held, "four", Deadline));
        proxy.Cut(LinkFault.Blackhole);
        using var newcomer = await ConnectAsync(proxy); // accepted, never forwarded
        await newcomer.SendAsync(Encoding.ASCII.GetBytes("late"));
        await held.SendAsync(Encoding.ASCII.GetBytes("five"));
        var silent = new byte[16];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await held.ReceiveAsync(silent, SocketFlags.None, new CancellationTokenSource(TimeSpan.FromSeconds(1)).Token));
        proxy.Heal();
        // what was held flows on once healed, on both connections
        Assert.Equal("five", await ReceiveAsync(held, 4, Deadline));
        Assert.Equal("late", await ReceiveAsync(newcomer, 4, Deadline));

        await stop.CancelAsync();
        echo.Stop();
        await serving;
    }

    private static async Task<Socket> ConnectAsync(FaultProxy proxy)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await s.ConnectAsync(IPAddress.Loopback, proxy.Port);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private static async Task<string> RoundTripAsync(Socket s, string text, TimeSpan deadline)
    {
        await s.SendAsync(Encoding.ASCII.GetBytes(text));
        return await ReceiveAsync(s, text.Length, deadline);
    }

    private static async Task<string> ReceiveAsync(Socket s, int length, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var buffer = new byte[length];
        var got = 0;
        while (got < length)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0) throw new IOException("closed");
            got += n;
        }
        return Encoding.ASCII.GetString(buffer);
    }

    private static async Task EchoAsync(TcpListener listener, CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var s = await listener.AcceptSocketAsync(stop);
                connections.Add(Task.Run(async () =>
                {
                    using (s)
                    {
                        var buffer = new byte[1024];
                        try
                        {
                            int n;
                            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, stop)) > 0)
                                await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop);
                        }
                        catch (Exception e) when (e is SocketException or OperationCanceledException)
                        {
                            // reset by the proxy, or stopped
                        }
                    }
                }, CancellationToken.None));
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // stopped
        }
        await Task.WhenAll(connections);
    }
}
