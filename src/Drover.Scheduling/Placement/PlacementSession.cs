using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>The mutable working state of one <see cref="Placer.Place"/> call.</summary>
internal sealed partial class PlacementSession
{
    private readonly AgentTable _agents;
    private readonly LoadIndex _index;
    private readonly IReadOnlyList<PlacementRequest> _requests;
    private readonly Dictionary<string, List<int>> _appAgents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FieldIndex> _fields = new(StringComparer.Ordinal);
    private readonly List<Placement> _placements;
    private readonly List<UnplacedApp> _unplaced = [];

    // Per-app working state, reset after each request.
    private readonly int[] _appCount;
    private readonly List<int> _appTouched = [];
    private string _appId = "";
    private Demand _demand = new();
    private AppConstraints? _constraints;
    /// <summary>Agents the app's static constraints allow (null = all), shared by apps with the same ones.</summary>
    private ulong[]? _staticMask;
    private readonly Dictionary<string, ulong[]> _staticMasks = new(StringComparer.Ordinal);
    /// <summary>Agents that have the app's driver (null = all of them).</summary>
    private bool[]? _driverOk;
    private List<int> _appList = [];

    public PlacementSession(ClusterView view, IReadOnlyList<PlacementRequest> requests)
    {
        _requests = requests;
        _agents = new AgentTable(view.Agents);
        _index = new LoadIndex(_agents.Count);
        _appCount = new int[_agents.Count];

        long total = 0;
        foreach (var r in requests)
        {
            total += Math.Max(0, r.Count);
            _appAgents.TryAdd(r.App.Id, []);
        }
        // A guess, bounded: counts are what was asked for, not what will fit.
        _placements = new List<Placement>((int)Math.Min(total, 1 << 22));

        if (view.Usage is { } usageOf)
        {
            for (var a = 0; a < _agents.Count; a++)
            {
                if (usageOf(_agents.Infos[a].Id) is { } usage) _agents.AddUsage(a, usage);
            }
        }
        foreach (var t in view.Tasks)
        {
            if (t.State.IsTerminal()) continue;
            var a = _agents.IndexOf(t.AgentId);
            if (a < 0) continue;
            if (view.Usage is null) _agents.AddExisting(a, t);
            if (_appAgents.TryGetValue(t.AppId, out var list)) list.Add(a);
        }
        for (var a = 0; a < _agents.Count; a++)
        {
            if (_agents.Active[a]) _index.Add(a, LoadIndex.BucketFor(_agents.Load(a)));
        }
    }

    public PlacementResult Run()
    {
        foreach (var r in _requests)
        {
            if (r.Count <= 0) continue;
            BeginApp(r);
            var remaining = _constraints?.GroupBy is null ? Walk(r.Count) : PlaceGrouped(r.Count);
            if (remaining > 0) _unplaced.Add(Diagnose(remaining));
            EndApp();
        }
        return new PlacementResult(_placements, _unplaced);
    }

    private void BeginApp(PlacementRequest r)
    {
        _appId = r.App.Id;
        _demand = Demand.For(r.App);
        _appList = _appAgents[_appId];
        _constraints = r.App.Constraints.Count == 0 ? null : new AppConstraints(r.App.Constraints, FieldFor);
        foreach (var a in _appList)
        {
            if (_appCount[a]++ == 0) _appTouched.Add(a);
            if (_constraints is not null) foreach (var f in _constraints.CountedFields) f.Increment(a);
        }
        _constraints?.Begin();
        _driverOk = _agents.AgentsWithDriver(_demand.Driver);
        _staticMask = StaticMask(_constraints, _driverOk is null ? null : _demand.Driver);
    }

    /// <summary>Agents the app's static constraints and driver allow, as a bitset (null = all), cached per combination.</summary>
    private ulong[]? StaticMask(AppConstraints? c, string? driver)
    {
        var constraintKey = c?.StaticKey;
        if (constraintKey is null && driver is null) return null;
        var key = driver is null ? constraintKey! : driver + "\u0002" + constraintKey;
        if (!_staticMasks.TryGetValue(key, out var mask))
        {
            mask = new ulong[_index.Words];
            for (var a = 0; a < _agents.Count; a++)
            {
                if ((c is null || c.StaticPass(a)) && HasDriver(a)) mask[a >> 6] |= 1UL << a;
            }
            _staticMasks.Add(key, mask);
        }
        return mask;
    }

    private bool HasDriver(int a) => _driverOk is null || _driverOk[a];

    private void EndApp()
    {
        foreach (var a in _appTouched) _appCount[a] = 0;
        _appTouched.Clear();
        _constraints?.End();
        _constraints = null;
        _staticMask = null;
        _driverOk = null;
    }

    private FieldIndex FieldFor(string field)
    {
        var key = FieldIndex.Canonical(field);
        if (!_fields.TryGetValue(key, out var f))
        {
            f = new FieldIndex(key, _agents);
            _fields.Add(key, f);
        }
        return f;
    }

    private bool FitsResources(int a) =>
        _agents.CpuUsed[a] + _demand.Cpu <= _agents.CpuTotal[a]
        && _agents.MemUsed[a] + _demand.Mem <= _agents.MemTotal[a]
        && _agents.DiskUsed[a] + _demand.Disk <= _agents.DiskTotal[a];

    private bool FitsPorts(int a)
    {
        var d = _demand;
        if (d.Ports.Length == 0) return true;
        ref var pool = ref _agents.Ports[a];
        if (d.PortsImpossible || pool.Free < d.Ports.Length) return false;
        foreach (var p in d.Fixed)
        {
            if (!pool.IsFree(p)) return false;
        }
        return true;
    }

    private bool Fits(int a) => FitsResources(a) && FitsPorts(a);

    /// <summary>Resources, ports and constraints, judged against everything placed so far.</summary>
    private bool Accepts(int a) =>
        HasDriver(a) && Fits(a) && (_constraints is null || (_constraints.StaticPass(a) && _constraints.DynamicPass(a)));

    /// <summary>Commits one instance to agent <paramref name="a"/> (which must fit).</summary>
    private void PlaceOn(int a)
    {
        var d = _demand;
        _agents.CpuUsed[a] += d.Cpu;
        _agents.MemUsed[a] += d.Mem;
        _agents.DiskUsed[a] += d.Disk;
        int[] ports;
        if (d.Ports.Length == 0)
        {
            ports = [];
        }
        else
        {
            ports = new int[d.Ports.Length];
            ref var pool = ref _agents.Ports[a];
            // Fixed ports first, so a dynamic pick cannot take one of them.
            for (var i = 0; i < ports.Length; i++)
            {
                if (d.Ports[i] != 0) { pool.Take(d.Ports[i]); ports[i] = d.Ports[i]; }
            }
            for (var i = 0; i < ports.Length; i++)
            {
                if (d.Ports[i] == 0) ports[i] = pool.TakeNext();
            }
        }
        if (_appCount[a]++ == 0) _appTouched.Add(a);
        _appList.Add(a);
        _constraints?.OnPlaced(a);
        _index.Move(a, LoadIndex.BucketFor(_agents.Load(a)));
        var info = _agents.Infos[a];
        _placements.Add(new Placement(_appId, info.Id, info.Hostname, ports));
    }
}
