using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Drover.IntegrationTests.Harness.Netns;

/// <summary>
/// Makes sockets inside a network namespace from the test process itself: a socket belongs to the namespace
/// of the thread that created it, so a short-lived thread enters the namespace (setns), creates the socket and
/// ends. The test process never changes namespace otherwise, and nothing is added to the machine's own network.
/// </summary>
internal static class NetnsNative
{
    private const int CloneNewNet = 0x40000000;

    [DllImport("libc")]
    internal static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    /// <summary>A TCP socket created inside <paramref name="ns"/> (by name, as in /var/run/netns).</summary>
    public static Socket CreateTcpSocket(string ns)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var target = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)target.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                // This thread now lives in the namespace and is never used again: it ends right after.
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"could not create a socket in namespace {ns}", error);
    }

    /// <summary>An HttpClient whose connections start inside <paramref name="ns"/>.</summary>
    public static HttpClient CreateHttpClient(string ns, Uri baseAddress, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = async (ctx, ct) =>
            {
                var socket = CreateTcpSocket(ns);
                try
                {
                    var host = ctx.DnsEndPoint.Host;
                    var address = IPAddress.TryParse(host, out var ip) ? ip
                        : throw new InvalidOperationException($"namespace clients take IP addresses, not '{host}'");
                    await socket.ConnectAsync(new IPEndPoint(address, ctx.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout };
    }
}
