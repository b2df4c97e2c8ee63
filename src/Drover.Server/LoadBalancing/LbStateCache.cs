using System.Text.Json;
using Drover.Api.LoadBalancing;
using Drover.State;

namespace Drover.Server.LoadBalancing;

/// <summary>
/// The lb state, rendered once per store index however many lbs wait on it, with its own index: the store index at
/// which the rendered content last changed. So an lb blocking on <c>?index=</c> wakes only for routing changes, the
/// index never goes backwards (store indexes never do), and an lb that applied index N has seen every routing-relevant
/// write up to N — which the drain decision relies on.
/// </summary>
public sealed class LbStateCache
{
    /// <param name="DrainingSince">Each task shown draining, with the lb index at which it first was: an lb that applied that index has it out of rotation.</param>
    public sealed record Entry(long StoreIndex, long Index, byte[] Body, IReadOnlyDictionary<string, long> DrainingSince);

    private static readonly IReadOnlyDictionary<string, long> NoneDraining = new Dictionary<string, long>();
    private readonly Lock _gate = new();
    private Entry _latest = new(-1, 0, [], NoneDraining);
    private byte[] _latestApps = [];

    public Entry Get(StateSnapshot s)
    {
        lock (_gate)
        {
            if (s.Index <= _latest.StoreIndex) return _latest; // an equal or newer rendering is at hand
            var apps = LbStateBuilder.Build(s);
            var appsBytes = JsonSerializer.SerializeToUtf8Bytes(new LbState { Apps = apps }, LbJsonContext.Default.LbState);
            if (_latest.StoreIndex >= 0 && appsBytes.AsSpan().SequenceEqual(_latestApps))
            {
                _latest = _latest with { StoreIndex = s.Index };
                return _latest;
            }
            var index = Math.Max(1, s.Index); // Consul never answers index 0: clients treat 0 as "no index yet"
            _latestApps = appsBytes;
            var draining = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var task in apps.SelectMany(a => a.Tasks).Where(t => t.Draining))
                draining[task.Id] = _latest.DrainingSince.TryGetValue(task.Id, out var since) ? since : index;
            _latest = new Entry(s.Index, index, JsonSerializer.SerializeToUtf8Bytes(new LbState { Index = index, Apps = apps }, LbJsonContext.Default.LbState), draining);
            return _latest;
        }
    }
}
