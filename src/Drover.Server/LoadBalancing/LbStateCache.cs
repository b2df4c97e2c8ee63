using System.Text.Json;
using Drover.Api.LoadBalancing;
using Drover.Core.Cluster;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.LoadBalancing;

/// <summary>
/// The lb state, rendered once per store index however many lbs wait on it, with its own index: the store index at
/// which the rendered content last changed. So an lb blocking on <c>?index=</c> wakes only for routing changes, the
/// index never goes backwards (store indexes never do), and an lb that applied index N has seen every routing-relevant
/// write up to N — which the drain decision relies on.
/// <para>
/// Rendering is incremental: each app's JSON is kept with the store entries it came from (the app, its tasks, their
/// agents' addresses). A store write replaces only the entries it touches (unchanged ones are the same objects in the
/// next snapshot), so a task's change re-renders one app, and a write that touches no app, task or address (a
/// heartbeat, a deployment step) re-renders nothing. The body is the kept app JSONs spliced into the envelope.
/// </para>
/// </summary>
public sealed class LbStateCache
{
    /// <param name="DrainingSince">Each task shown draining, with the lb index at which it first was: an lb that applied that index has it out of rotation.</param>
    public sealed record Entry(long StoreIndex, long Index, byte[] Body, IReadOnlyDictionary<string, long> DrainingSince);

    /// <summary>One app as rendered, with what it was rendered from (compared by reference: store entries are immutable).</summary>
    private sealed record Piece(StateEntry App, StateEntry[] Tasks, string?[] Addresses, LbApp Rendered, byte[] Json);

    private static readonly IReadOnlyDictionary<string, long> NoneDraining = new Dictionary<string, long>();
    private readonly Lock _gate = new();
    private Entry _latest = new(-1, 0, [], NoneDraining);
    private Dictionary<string, Piece> _pieces = new(StringComparer.Ordinal);
    private List<Piece> _order = [];

    /// <summary>How many app renderings the cache has made; for tests of what it re-renders and what it reuses.</summary>
    public long AppRenders { get; private set; }

    public Entry Get(StateSnapshot s)
    {
        lock (_gate)
        {
            if (s.Index <= _latest.StoreIndex) return _latest; // an equal or newer rendering is at hand
            var order = Render(s);
            if (_latest.StoreIndex >= 0 && SameJson(order, _order))
            {
                _order = order;
                _latest = _latest with { StoreIndex = s.Index };
                return _latest;
            }
            _order = order;
            var index = Math.Max(1, s.Index); // Consul never answers index 0: clients treat 0 as "no index yet"
            var draining = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var task in order.SelectMany(p => p.Rendered.Tasks).Where(t => t.Draining))
                draining[task.Id] = _latest.DrainingSince.TryGetValue(task.Id, out var since) ? since : index;
            _latest = new Entry(s.Index, index, Envelope(index, order), draining);
            return _latest;
        }
    }

    /// <summary>Every app's piece in the snapshot's app order, reusing the pieces whose sources did not change.</summary>
    private List<Piece> Render(StateSnapshot s)
    {
        var tasksByApp = new Dictionary<string, List<StateEntry>>(StringComparer.Ordinal);
        foreach (var e in s.Entries(Schema.Tasks.Name).Values)
        {
            var appId = StateSnapshot.Decode(Schema.Tasks, e).AppId;
            if (!tasksByApp.TryGetValue(appId, out var list)) tasksByApp[appId] = list = [];
            list.Add(e);
        }
        var addresses = LbStateBuilder.Addresses(s);
        var pieces = new Dictionary<string, Piece>(StringComparer.Ordinal);
        var order = new List<Piece>();
        foreach (var appEntry in s.Entries(Schema.Apps.Name).Values)
        {
            var app = StateSnapshot.Decode(Schema.Apps, appEntry);
            var tasks = tasksByApp.TryGetValue(app.Id, out var l) ? l.ToArray() : [];
            var taskAddresses = tasks.Select(t => addresses.GetValueOrDefault(StateSnapshot.Decode(Schema.Tasks, t).AgentId)).ToArray();
            if (!_pieces.TryGetValue(app.Id, out var piece) || !Unchanged(piece, appEntry, tasks, taskAddresses))
            {
                var rendered = LbStateBuilder.App(app, tasks.Select(t => StateSnapshot.Decode(Schema.Tasks, t)), addresses);
                piece = new Piece(appEntry, tasks, taskAddresses, rendered, JsonSerializer.SerializeToUtf8Bytes(rendered, LbJsonContext.Default.LbApp));
                AppRenders++;
            }
            pieces[app.Id] = piece;
            order.Add(piece);
        }
        _pieces = pieces;
        return order;
    }

    private static bool Unchanged(Piece p, StateEntry app, StateEntry[] tasks, string?[] addresses) =>
        ReferenceEquals(p.App, app) && p.Tasks.Length == tasks.Length && p.Tasks.AsSpan().SequenceEqual(tasks, ReferenceEqualityComparer.Instance)
        && p.Addresses.AsSpan().SequenceEqual(addresses);

    /// <summary>The same apps with the same JSON (a rewritten entry that renders the same is no routing change).</summary>
    private static bool SameJson(List<Piece> a, List<Piece> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (!ReferenceEquals(a[i].Json, b[i].Json) && !a[i].Json.AsSpan().SequenceEqual(b[i].Json)) return false;
        return true;
    }

    /// <summary>{"index":N,"apps":[…]}: byte for byte what serializing the whole <see cref="LbState"/> gives (a test holds it to that).</summary>
    private static byte[] Envelope(long index, List<Piece> order)
    {
        using var buffer = new MemoryStream(order.Sum(p => p.Json.Length + 1) + 32);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartArray("apps");
            foreach (var p in order) w.WriteRawValue(p.Json, skipInputValidation: true);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
