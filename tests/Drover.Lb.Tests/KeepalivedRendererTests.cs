using Drover.Lb.Keepalived;

namespace Drover.Lb.Tests;

public class KeepalivedRendererTests
{
    internal static readonly KeepalivedSettings Settings = new()
    {
        Vip = "10.0.0.100/24", Interface = "eth0", Peers = ["10.0.0.2", "10.0.0.3"], SourceAddress = "10.0.0.1", Priority = 150,
        VirtualRouterId = 42, HaproxyPidFile = "/run/drover/haproxy.pid", TrackScriptPath = "/run/drover/track-haproxy.sh", RouterName = "lb1",
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
    public void TrackScriptChecksThePidFromThePidFile() => Assert.Equal("""
        #!/bin/sh
        # Written by drover lb: does the local HAProxy run?
        pid=$(cat '/run/drover/haproxy.pid' 2>/dev/null) || exit 1
        [ -n "$pid" ] || exit 1
        exec kill -0 "$pid"

        """.Replace("\r\n", "\n"), KeepalivedRenderer.TrackScript(Settings));

    [Fact(Timeout = 30000)]
    public async Task TrackScriptPassesOnlyWhileTheProcessRuns()
    {
        var dir = Directory.CreateTempSubdirectory("drover-track");
        try
        {
            var s = Settings with { HaproxyPidFile = Path.Combine(dir.FullName, "haproxy.pid"), TrackScriptPath = Path.Combine(dir.FullName, "track.sh") };
            await File.WriteAllTextAsync(s.TrackScriptPath, KeepalivedRenderer.TrackScript(s));
            Assert.NotEqual(0, (await ConfigRendererTests.RunAsync("/bin/sh", s.TrackScriptPath)).Code); // no pid file
            await File.WriteAllTextAsync(s.HaproxyPidFile, Environment.ProcessId.ToString());
            Assert.Equal(0, (await ConfigRendererTests.RunAsync("/bin/sh", s.TrackScriptPath)).Code);
            await File.WriteAllTextAsync(s.HaproxyPidFile, "");
            Assert.NotEqual(0, (await ConfigRendererTests.RunAsync("/bin/sh", s.TrackScriptPath)).Code);
        }
        finally { dir.Delete(recursive: true); }
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
