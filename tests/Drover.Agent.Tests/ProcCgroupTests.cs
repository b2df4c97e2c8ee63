using Drover.Agent.Cgroups;

namespace Drover.Agent.Tests;

/// <summary>Finding a process's group in /proc/PID/cgroup (how a container's memory.events is found for its OOM count).</summary>
public sealed class ProcCgroupTests
{
    [Fact]
    public void The_v2_line_and_a_v1_controllers_line_are_found()
    {
        string[] v2 = ["0::/system.slice/docker-3f2a9c01b7de.scope"];
        Assert.Equal("/system.slice/docker-3f2a9c01b7de.scope", CgroupManager.ParseProcCgroup(v2, ""));
        string[] v1 = ["12:pids:/docker/abc", "4:memory:/docker/abc", "3:cpu,cpuacct:/docker/abc", "0::/"];
        Assert.Equal("/docker/abc", CgroupManager.ParseProcCgroup(v1, "memory"));
        Assert.Equal("/docker/abc", CgroupManager.ParseProcCgroup(v1, "cpuacct"));
        Assert.Equal("/", CgroupManager.ParseProcCgroup(v1, ""));
        Assert.Null(CgroupManager.ParseProcCgroup(["garbage", "1:"], "memory"));
    }

    [Fact]
    public void A_process_that_is_gone_has_no_oom_count()
    {
        Assert.Null(CgroupManager.ReadOomKillsOf(0));
        Assert.Null(CgroupManager.ReadOomKillsOf(int.MaxValue));
        Assert.Null(CgroupManager.CgroupOf("/proc/does-not-exist/cgroup", ""));
    }
}
