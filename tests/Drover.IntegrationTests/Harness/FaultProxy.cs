using System.Net;
using System.Net.Sockets;

namespace Drover.IntegrationTests.Harness;

/// <summary>How a cut link looks to the side that uses it.</summary>
public enum LinkFault
{
    /// <summary>
    /// A dead peer: established connections are reset and new ones refused (the listening socket is closed), so the
    /// caller learns at once and can try another endpoint.
    /// </summary>
    Refuse,

    /// <summary>
    /// A partition: nothing is reset; established connections and new ones (accepted, never forwarded) just go
    /// silent in both directions, so the caller only learns by its own timeouts. On heal the held bytes flow on,
    /// as TCP delivers what it retransmitted once a partition heals (a write may thus land late).
    /// </summary>
    Blackhole,
}

/// <summary>
/// A TCP proxy on a loopback port that can cut and heal its link, for network partitions in tests. One proxy per
/// directed link (a server to one etcd member), so a fault can isolate one process from some peers and not others.
/// </summary>
/// <remarks>
/// Chosen over network namespaces with iptables (which this machine has) because it needs no root, runs in parallel
/// with any other test, can tell a refused link from a silent one per connection, and its cleanup is closing sockets
/// in this process: nothing outlives a failed test (no namespace, veth or rule left behind). What it cannot cut is a
/// link it is not in: etcd members talk to each other directly, so these are partitions between Drover and etcd.
/// </remarks>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Lock _lock = new();
    private readonly HashSet<Link> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private TaskCompletionSource _open = Opened();
    private LinkFault? _fault;

    private FaultProxy(IPEndPoint target)
    {
        _target = target;
        _listener = Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync(_listener);
    }

    /// <summary>A proxy to <paramref name="target"/> (a loopback URL's host and port), passing until cut.</summary>
    public static FaultProxy Start(Uri target) => new(new IPEndPoint(IPAddress.Parse(target.Host), target.Port));

    public int Port { get; }

    /// <summary>The proxy's URL with the target's scheme: what the client is given instead of the target.</summary>
    public Uri Url(string scheme = "http") => new($"{scheme}://127.0.0.1:{Port}");

    public LinkFault? Fault
    {
        get
        {
            lock (_lock) return _fault;
        }
    }

    public void Cut(LinkFault fault)
    {
        Heal();
        List<Link> reset;
        lock (_lock)
        {
            _fault = fault;
            if (fault == LinkFault.Blackhole)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return;
            }
            _listener?.Stop();
            _listener = null;
            reset = [.. _links];
        }
        foreach (var link in reset) link.Reset();
    }

    /// <summary>Passes again: a refused port listens again, held connections flow on.</summary>
    public void Heal()
    {
        lock (_lock)
        {
            if (_fault is null || _stop.IsCancellationRequested) return;
            if (_fault == LinkFault.Refuse)
            {
                _listener = Listen(Port);
                _ = AcceptLoopAsync(_listener);
            }
            _fault = null;
            _open.TrySetResult();
        }
    }

    public ValueTask DisposeAsync()
    {
        List<Link> all;
        lock (_lock)
        {
            _stop.Cancel();
            _listener?.Stop();
            _listener = null;
            _open.TrySetResult();
            all = [.. _links];
        }
        foreach (var link in all) link.Reset();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        // the port is ours: listening on it again after a refusal must not wait for anything lingering on it
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return; // stopped: refusing, or disposed
            }
            _ = Task.Run(() => ServeAsync(new Link(client)));
        }
    }

    private async Task ServeAsync(Link link)
    {
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                link.Reset();
                return;
            }
            _links.Add(link);
        }
        try
        {
            await OpenAsync(); // blackholed: accepted, but nothing reaches the target until healed
            await link.Upstream.ConnectAsync(_target, _stop.Token);
            await Task.WhenAll(PumpAsync(link, link.Client, link.Upstream), PumpAsync(link, link.Upstream, link.Client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // cut, reset by either side, or disposed
        }
        finally
        {
            lock (_lock) _links.Remove(link);
            link.Reset();
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/>, holding each chunk while the link is blackholed.</summary>
    private async Task PumpAsync(Link link, Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    await OpenAsync();
                    to.Shutdown(SocketShutdown.Send); // pass the half-close on
                    return;
                }
                await OpenAsync();
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            link.Reset(); // one side broke: the other learns it the way it would without a proxy
        }
    }

    private Task OpenAsync()
    {
        Task open;
        lock (_lock) open = _open.Task;
        return open.WaitAsync(_stop.Token);
    }

    /// <summary>One proxied connection: the accepted socket and the one to the target.</summary>
    private sealed class Link(Socket client)
    {
        public Socket Client { get; } = client;
        public Socket Upstream { get; } = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        /// <summary>Closes both sockets with a RST (linger 0), as a peer that died or a cut link would.</summary>
        public void Reset()
        {
            foreach (var s in new[] { Client, Upstream })
            {
                try
                {
                    if (s.Connected) s.LingerState = new LingerOption(true, 0);
                    s.Dispose();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // already closed
                }
            }
        }
    }
}
