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

    public async Task<AgentAssignments> WaitAsync(string agentId, string? fingerprint, TimeSpan wait, CancellationToken ct)
    {
        var current = Compute(store.Current, agentId);
        if (current.Fingerprint != fingerprint || wait <= TimeSpan.Zero) return current;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(wait);
        try
        {
            await foreach (var snap in store.WatchAsync(store.Current.Index, cts.Token).ConfigureAwait(false))
            {
                current = Compute(snap, agentId);
                if (current.Fingerprint != fingerprint) return current;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // wait elapsed: answer with the unchanged set
        }
        return current;
    }

    public static AgentAssignments Compute(StateSnapshot s, string agentId)
    {
        var list = new List<TaskAssignment>();
        var fp = new StringBuilder();
        foreach (var t in TaskIndex.OnAgent(s, agentId).OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            var app = s.Get(Schema.AppVersions, Schema.VersionKey(t.AppId, t.Version)) ?? s.Get(Schema.Apps, t.AppId);
            if (app is null) continue; // cannot describe it any more: leaving it out makes the agent kill it
            list.Add(new TaskAssignment { Spec = Spec(app, t), Kill = t.KillReleased });
            fp.Append(t.Id).Append(t.KillReleased ? "!" : "").Append('\n');
        }
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fp.ToString())))[..16];
        return new AgentAssignments { Fingerprint = hash, Tasks = list };
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
