namespace Drover.Scheduling;

internal sealed partial class PlacementSession
{
    /// <summary>Why the app's remaining instances found no agent, judged against the state after placing.</summary>
    private UnplacedApp Diagnose(int remaining)
    {
        int maintenance = 0, cpus = 0, mem = 0, disk = 0, ports = 0, constraint = 0, driver = 0;
        var c = _constraints;
        for (var a = 0; a < _agents.Count; a++)
        {
            if (!_agents.Active[a]) { maintenance++; continue; }
            if (!HasDriver(a)) driver++;
            if (_agents.CpuUsed[a] + _demand.Cpu > _agents.CpuTotal[a]) cpus++;
            if (_agents.MemUsed[a] + _demand.Mem > _agents.MemTotal[a]) mem++;
            if (_agents.DiskUsed[a] + _demand.Disk > _agents.DiskTotal[a]) disk++;
            if (!FitsPorts(a)) ports++;
            if (c is not null && (!c.StaticPass(a) || !c.DynamicPass(a))) constraint++;
        }
        var processed = _agents.Count;
        var reasons = new List<RejectReason>(4);
        void Add(string reason, int declined)
        {
            if (declined > 0) reasons.Add(new RejectReason(reason, declined, processed));
        }
        if (_agents.ActiveCount == 0) reasons.Add(new RejectReason(RejectReasons.NoActiveAgents, processed, processed));
        Add(RejectReasons.AgentMaintenance, maintenance);
        Add(RejectReasons.NoDriver, driver);
        Add(RejectReasons.UnfulfilledConstraint, constraint);
        Add(RejectReasons.InsufficientCpus, cpus);
        Add(RejectReasons.InsufficientMemory, mem);
        Add(RejectReasons.InsufficientDisk, disk);
        Add(RejectReasons.InsufficientPorts, ports);
        return new UnplacedApp(_appId, remaining, reasons, processed);
    }
}
