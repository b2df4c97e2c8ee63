using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Lb.Keepalived;

namespace Drover.Lb.Tests;

public class KeepalivedRendererTests
{
    internal static readonly KeepalivedSettings Settings = new()
    {
        Vip = "10.0.0.100/24", Interface = "eth0", Peers = ["10.0.0.2", "10.0.0.3"], SourceAddress = "10.0.0.1", Priority = 150,
        VirtualRouterId = 42, CheckPort = 18999, TrackScriptPath = "/run/drover/track-haproxy.sh", RouterName = "lb1",
    };

    [Fact]
    public void RendersTheGoldenConfig() => Assert.Equal("""
        # Written by drover lb; changes here are overwritten.
        global_defs {
            router_id lb1
            script_user root
            enable_script_security
        }

        vrrp_script drover_haproxy {
            script "/run/drover/track-haproxy.sh"
            interval 1
            timeout 2
            fall 1
            rise 2
        }

        vrrp_instance drover_vip {
            state BACKUP
            interface eth0
            virtual_router_id 42
            priority 150
            advert_int 1
            unicast_src_ip 10.0.0.1
            unicast_peer {
                10.0.0.2
                10.0.0.3
            }
            virtual_ipaddress {
                10.0.0.100/24 dev eth0
            }
            track_script {
                drover_haproxy
            }
        }

        """.Replace("\r\n", "\n"), KeepalivedRenderer.Render(Settings));

    [Fact]
    public void NopreemptAndNoSourceAddress()
    {
        var text = KeepalivedRenderer.Render(Settings with { Nopreempt = true, SourceAddress = null });
        Assert.Contains("    advert_int 1\n    nopreempt\n    unicast_peer {\n", text);
        Assert.DoesNotContain("unicast_src_ip", text);
        Assert.DoesNotContain("nopreempt", KeepalivedRenderer.Render(Settings));
    }

    [Fact]
    public void TrackScriptAsksHaproxysMonitorUri() => Assert.Equal("""
        #!/bin/bash
        # Written by drover lb: does the local HAProxy answer?
        exec 3<>/dev/tcp/127.0.0.1/18999 || exit 1
        printf 'GET /drover/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 || exit 1
        IFS= read -r -t 1 status <&3 || exit 1
        case "$status" in "HTTP/1."?" 200"*) exit 0 ;; esac
        exit 1

        """.Replace("\r\n", "\n"), KeepalivedRenderer.TrackScript(Settings));

    [Theory(Timeout = 30000)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", true)]
    [InlineData("HTTP/1.0 503 Service Unavailable\r\n\r\n", false)]
    [InlineData(null, false)] // accepts, never answers: a hung HAProxy
    public async Task TrackScriptPassesOnlyOnA200(string? answer, bool passes)
    {
        var dir = Directory.CreateTempSubdirectory("drover-track");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var s = Settings with { CheckPort = ((IPEndPoint)listener.LocalEndpoint).Port, TrackScriptPath = Path.Combine(dir.FullName, "track.sh") };
            await File.WriteAllTextAsync(s.TrackScriptPath, KeepalivedRenderer.TrackScript(s));
            var serve = Task.Run(async () =>
            {
                using var c = await listener.AcceptTcpClientAsync();
                var stream = c.GetStream();
                var buffer = new byte[1024];
                var request = Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer));
                if (answer is not null) await stream.WriteAsync(Encoding.ASCII.GetBytes(answer));
                else await Task.Delay(TimeSpan.FromSeconds(3)); // longer than the script's 1 s read limit
                return request;
            });
            var (code, _) = await ConfigRendererTests.RunAsync("/bin/bash", s.TrackScriptPath);
            Assert.Equal(passes, code == 0);
            Assert.StartsWith("GET /drover/health HTTP/1.0\r\n", await serve);
        }
        finally
        {
            listener.Stop();
            dir.Delete(recursive: true);
        }
    }

    [Fact(Timeout = 30000)]
    public async Task TrackScriptFailsWhenNothingListens()
    {
        var dir = Directory.CreateTempSubdirectory("drover-track");
        try
        {
            var s = Settings with { CheckPort = FreeLoopbackPort(), TrackScriptPath = Path.Combine(dir.FullName, "track.sh") };
            await File.WriteAllTextAsync(s.TrackScriptPath, KeepalivedRenderer.TrackScript(s));
            Assert.NotEqual(0, (await ConfigRendererTests.RunAsync("/bin/bash", s.TrackScriptPath)).Code);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact(Timeout = 30000)]
    public async Task RealKeepalivedAcceptsTheConfig()
    {
        var dir = Directory.CreateTempSubdirectory("drover-kcfg");
        try
        {
            var s = Settings with { Nopreempt = true, TrackScriptPath = Path.Combine(dir.FullName, "track.sh") };
            await File.WriteAllTextAsync(s.TrackScriptPath, KeepalivedRenderer.TrackScript(s));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(s.TrackScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var file = Path.Combine(dir.FullName, "keepalived.conf");
            await File.WriteAllTextAsync(file, KeepalivedRenderer.Render(s));
            var (code, output) = await ConfigRendererTests.RunAsync("keepalived", "-t", "-f", file);
            Assert.True(code == 0, $"keepalived -t rejected the config:\n{output}");
        }
        finally { dir.Delete(recursive: true); }
    }
}
