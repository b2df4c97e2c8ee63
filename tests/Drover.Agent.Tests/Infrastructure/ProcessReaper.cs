using Drover.Agent.Drivers;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>Kills (by pid, checking the start time) every task process a test started, even when the test fails.</summary>
public sealed class ProcessReaper : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(int Pid, ulong StartTime)> _tracked = [];

    public T Track<T>(T handle) where T : ITaskHandle
    {
        TrackPid(handle.Pid);
        return handle;
    }

    public void TrackPid(int pid)
    {
        if (Posix.ReadStat(pid) is { } stat)
            lock (_gate) _tracked.Add((pid, stat.StartTime));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (pid, start) in _tracked)
            {
                if (Posix.ReadStat(pid) is { } stat && stat.StartTime == start)
                {
                    try { Posix.KillGroup(pid, Posix.SIGKILL); }
                    catch (IOException) { }
                }
            }
            _tracked.Clear();
        }
    }
}
