using System.Diagnostics;
using Drover.Lb.Keepalived;

namespace Drover.Lb.Tests;

/// <summary>The supervisor keeps keepalived running: a stand-in that exits on its own is started again and counted.</summary>
public sealed class KeepalivedSupervisorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-keepalived-sup-").FullName;

    [Fact(Timeout = 60_000)]
    public async Task A_keepalived_that_exits_on_its_own_is_started_again_and_an_orderly_stop_ends_it()
    {
        var starts = Path.Combine(_dir, "starts");
        // Stands in for keepalived: records each start, then dies the first two times and stays up the third.
        var fake = Path.Combine(_dir, "fake-keepalived");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\necho $$ >> {starts}\n[ $(wc -l < {starts}) -ge 3 ] && exec sleep 600\necho 'VRRP child died' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var settings = KeepalivedRendererTests.Settings with { TrackScriptPath = Path.Combine(_dir, "track.sh") };
        var supervisor = new KeepalivedSupervisor(settings, Path.Combine(_dir, "run"), fake);
        await supervisor.StartAsync();

        var deadline = Stopwatch.StartNew();
        while (supervisor.Restarts < 2 && deadline.Elapsed < TimeSpan.FromSeconds(40)) await Task.Delay(50);
        Assert.Equal(2, supervisor.Restarts);
        Assert.Contains("VRRP child died", supervisor.LastExit);
        var pid = supervisor.Pid;
        Assert.NotNull(pid);
        Assert.Equal(3, (await File.ReadAllLinesAsync(starts)).Length);

        await supervisor.DisposeAsync();
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid.Value).Kill()); // gone: stopped by its PID
        Assert.Equal(3, (await File.ReadAllLinesAsync(starts)).Length); // and not started again after the stop
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
