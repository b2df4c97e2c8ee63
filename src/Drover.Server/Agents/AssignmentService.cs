using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Drover.Api.Agents;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>Computes the desired task set of one agent and long-polls for changes to it.</summary>
public sealed class AssignmentService(IStateStore store)
{
    public const int DefaultKillGracePeriodSeconds = 3;

    /// <remarks>
    /// Every write wakes every waiting agent (10,000 in bench/c1m), and most writes do not change a given agent's set:
    /// so a waiter first skips snapshots where its own tasks (one group of the incrementally kept task index), the apps
    /// and the versions are the very objects it last looked at, then
    /// compares only the fingerprint, and builds the task specs only for the answer it sends.
    /// </remarks>
    public async Task<AgentAssignments> WaitAsync(string agentId, string? fingerprint, TimeSpan wait, CancellationToken ct)
    {
        var seen = store.Current;
        if (wait <= TimeSpan.Zero || Fingerprint(seen, agentId) != fingerprint) return Compute(seen, agentId);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(wait);
        try
        {
            await foreach (var snap in store.WatchAsync(seen.Index, cts.Token).ConfigureAwait(false))
            {
                var same = SameInputs(seen, snap, agentId);
                seen = snap;
                if (!same && Fingerprint(snap, agentId) != fingerprint) return Compute(snap, agentId);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // wait elapsed: answer with the unchanged set
        }
        return Compute(seen, agentId);
    }

    /// <summary>
    /// True when <paramref name="b"/> holds the same inputs of the agent's fingerprint as <paramref name="a"/>: the same
    /// apps and versions (the very objects), and the same task ids with the same kill marks. A task's state is not in the
    /// fingerprint, so the agent's own status reports (a new group object each: <see cref="TaskIndex.OfAgent"/>) wake it
    /// without a fingerprint to compute.
    /// </summary>
    private static bool SameInputs(StateSnapshot a, StateSnapshot b, string agentId) =>
        ReferenceEquals(a.Entries(Schema.Apps.Name), b.Entries(Schema.Apps.Name))
        && ReferenceEquals(a.Entries(Schema.AppVersions.Name), b.Entries(Schema.AppVersions.Name))
        && SameAssignment(TaskIndex.OfAgent(a, agentId), TaskIndex.OfAgent(b, agentId));

    /// <summary>The same task ids in the same order with the same kill marks: all the fingerprint reads of the tasks.</summary>
    internal static bool SameAssignment(ImmutableSortedDictionary<string, TaskRecord> a, ImmutableSortedDictionary<string, TaskRecord> b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        using var ea = a.GetEnumerator();
        using var eb = b.GetEnumerator();
        while (ea.MoveNext() && eb.MoveNext())
        {
            if (!string.Equals(ea.Current.Key, eb.Current.Key, StringComparison.Ordinal) || ea.Current.Value.KillReleased != eb.Current.Value.KillReleased)
                return false;
        }
        return true;
    }

    public static AgentAssignments Compute(StateSnapshot s, string agentId)
    {
        var list = new List<TaskAssignment>();
        foreach (var (t, app) in Assigned(s, agentId)) list.Add(new TaskAssignment { Spec = Spec(app(), t), Kill = t.KillReleased });
        return new AgentAssignments { Fingerprint = Fingerprint(s, agentId), Tasks = list };
    }

    /// <summary>The opaque fingerprint of the agent's set: its task ids and kill marks, nothing else of the tasks.</summary>
    public static string Fingerprint(StateSnapshot s, string agentId)
    {
        var fp = new StringBuilder();
        foreach (var (t, _) in Assigned(s, agentId)) fp.Append(t.Id).Append(t.KillReleased ? "!" : "").Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fp.ToString())))[..16];
    }

    /// <summary>The agent's tasks in id order, each with (a way to read) the app version it runs.</summary>
    private static IEnumerable<(TaskRecord Task, Func<AppDefinition> App)> Assigned(StateSnapshot s, string agentId)
    {
        foreach (var t in TaskIndex.OnAgent(s, agentId)) // in id order
        {
            var versionKey = Schema.VersionKey(t.AppId, t.Version);
            // only whether the version exists counts for the fingerprint; the definition is decoded when a spec is built
            if (s.Entry(Schema.AppVersions.Name, versionKey) is not null) yield return (t, () => s.Get(Schema.AppVersions, versionKey)!);
            else if (s.Entry(Schema.Apps.Name, t.AppId) is not null) yield return (t, () => s.Get(Schema.Apps, t.AppId)!);
            // else it cannot be described any more: leaving it out makes the agent kill it
        }
    }

    public static TaskSpec Spec(AppDefinition app, TaskRecord t) => new()
    {
        TaskId = t.Id,
        AppId = t.AppId,
        Version = t.Version,
        Cmd = app.Cmd,
        Args = app.Args,
        User = app.User,
        Env = TaskEnvironment.Build(app, t.Id, t.Host, t.Ports),
        Cpus = app.Cpus,
        MemMb = app.Mem,
        DiskMb = app.Disk,
        Ports = t.Ports,
        PortNames = AppPorts.HostPortNames(app),
        Fetch = app.Fetch,
        HealthChecks = app.HealthChecks,
        ReadinessChecks = app.ReadinessChecks,
        Container = app.Container,
        Networks = app.Networks,
        KillGracePeriodSeconds = app.TaskKillGracePeriodSeconds ?? DefaultKillGracePeriodSeconds,
        BackoffSeconds = app.BackoffSeconds,
        BackoffFactor = app.BackoffFactor,
        MaxLaunchDelaySeconds = app.MaxLaunchDelaySeconds,
        Labels = app.Labels,
    };
}
