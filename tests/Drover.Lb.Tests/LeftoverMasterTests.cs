using Drover.Lb.Host;

namespace Drover.Lb.Tests;

/// <summary>When a starting lb re-adopts a recorded HAProxy master, and when it leaves the PID alone and starts afresh.</summary>
public sealed class LeftoverMasterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-leftover-").FullName;
    private string Pid => Path.Combine(_dir, "haproxy.pid");
    private string Config => Path.Combine(_dir, "haproxy.cfg");
    private string Socket => Path.Combine(_dir, "master.sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NoPidFileStartsAfresh() =>
        Assert.Equal(new AdoptDecision(null, "no HAProxy pid recorded"), LeftoverMaster.Decide(Pid, Config, Socket));

    [Fact]
    public void AGarbledPidFileIsNamed()
    {
        File.WriteAllText(Pid, "12ab\n");
        var d = LeftoverMaster.Decide(Pid, Config, Socket);
        Assert.False(d.Adopt);
        Assert.Equal($"the pid file {Pid} holds '12ab', not a PID", d.Reason);
    }

    [Fact]
    public void AProcessThatIsNotOurHaproxyIsLeftAlone()
    {
        File.WriteAllText(Pid, Environment.ProcessId + "\n"); // this test host: alive, but no haproxy
        var d = LeftoverMaster.Decide(Pid, Config, Socket);
        Assert.False(d.Adopt);
        Assert.StartsWith($"pid {Environment.ProcessId} is not our HAProxy (", d.Reason);
    }

    [Fact]
    public void ADeadPidIsStale()
    {
        using var p = System.Diagnostics.Process.Start("true")!;
        p.WaitForExit();
        var pid = p.Id;
        p.Dispose();
        File.WriteAllText(Pid, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var d = LeftoverMaster.Decide(Pid, Config, Socket);
        // (the PID may in theory be reused at once; then it is still not our haproxy)
        Assert.False(d.Adopt);
    }

    [Fact]
    public void OnlyHaproxyWithOurSocketAndConfigIsOurs()
    {
        Assert.True(LeftoverMaster.IsOurMaster(["/usr/sbin/haproxy", "-W", "-db", "-S", Socket, "-f", Config], Config, Socket));
        // after a reload the master re-executes itself with more arguments, and -S may carry options
        Assert.True(LeftoverMaster.IsOurMaster(["haproxy", "-W", "-db", "-S", Socket + ",mode,600", "-f", Config, "-sf", "123", "-x", "sockpair@5"], Config, Socket));
        Assert.False(LeftoverMaster.IsOurMaster(["haproxy", "-W", "-db", "-S", "/other/master.sock", "-f", Config], Config, Socket));
        Assert.False(LeftoverMaster.IsOurMaster(["haproxy", "-W", "-db", "-S", Socket, "-f", "/other/haproxy.cfg"], Config, Socket));
        Assert.False(LeftoverMaster.IsOurMaster(["nginx", "-S", Socket, "-f", Config], Config, Socket));
        Assert.False(LeftoverMaster.IsOurMaster([], Config, Socket));
    }

    [Fact]
    public void AliveMeansRunningNotZombie()
    {
        Assert.True(LeftoverMaster.IsAlive(Environment.ProcessId));
        Assert.False(LeftoverMaster.IsAlive(int.MaxValue));
    }
}
