using System.Collections.Immutable;
using Drover.Core.Cluster;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>
/// The tasks held back from their kill while load balancers drain them (<see cref="TaskRecord.Draining"/>), by id: a
/// <see cref="SnapshotView{T}"/> carried from write to write by the tasks each write changed, so a reconcile pass
/// looking for drains to release reads the few draining tasks rather than every task of the cluster.
/// </summary>
public static class DrainingTasks
{
    private static readonly ImmutableSortedDictionary<string, TaskRecord> None =
        ImmutableSortedDictionary<string, TaskRecord>.Empty.WithComparers(StringComparer.Ordinal);

    private static readonly View Tasks = new();

    /// <summary>The draining tasks of <paramref name="s"/>, in id order.</summary>
    public static IEnumerable<TaskRecord> Of(StateSnapshot s) => Tasks.Get(s).Values;

    private sealed class View() : SnapshotView<ImmutableSortedDictionary<string, TaskRecord>>(Schema.Tasks.Name)
    {
        protected override ImmutableSortedDictionary<string, TaskRecord> Build(StateSnapshot s) =>
            None.AddRange(s.All(Schema.Tasks).Where(t => t.Draining).Select(t => KeyValuePair.Create(t.Id, t)));

        protected override ImmutableSortedDictionary<string, TaskRecord> Update(ImmutableSortedDictionary<string, TaskRecord> before,
            StateSnapshot after, IReadOnlyList<SnapshotChange> changes)
        {
            ImmutableSortedDictionary<string, TaskRecord>.Builder? b = null;
            foreach (var c in changes)
            {
                var was = c.Before is { } old && StateSnapshot.Decode(Schema.Tasks, old).Draining;
                var now = c.After is { } e ? StateSnapshot.Decode(Schema.Tasks, e) : null;
                if (now is { Draining: true }) (b ??= before.ToBuilder())[now.Id] = now;
                else if (was) (b ??= before.ToBuilder()).Remove(c.Key);
            }
            return b?.ToImmutable() ?? before;
        }
    }
}
