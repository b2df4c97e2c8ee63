using System.Text.Json.Serialization;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Scheduling;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>The server's storage schema: every collection it keeps, what it holds and who writes it.</summary>
/// <remarks>
/// Every write goes through <see cref="StateWriter"/>; "who writes it" names the decide functions. On etcd, only the
/// leader writes (fenced), and every server reads; collections marked as pruned stay bounded.
/// </remarks>
public static class Schema
{
    /// <summary>Marathon apps as last written (key: app id). Written by AppService, GroupService and deployments (a step applies its targets).</summary>
    public static readonly Collection<AppDefinition> Apps = new("apps", CoreJsonContext.Default.AppDefinition);

    /// <summary>
    /// Every stored version of every app (key: <see cref="VersionKey"/>), /v2/apps/{id}/versions. Written with the app;
    /// the oldest beyond AppWrites.MaxStoredVersions dropped in the same batch; those of deleted apps pruned by
    /// ReconcileLoop once no task runs them.
    /// </summary>
    public static readonly Collection<AppDefinition> AppVersions = new("app-versions", CoreJsonContext.Default.AppDefinition);

    /// <summary>
    /// Non-terminal tasks (key: task id). Created by ReconcileLoop (launches), updated by AgentService (status reports)
    /// and kill marks (ReconcileLoop, TaskService, DrainService, LbKills); deleted by AgentService on a terminal report
    /// or by ReconcileLoop when an unreachable agent's task is expunged.
    /// </summary>
    /// <remarks>Written on every launch and status report: an entry keeps the record it was written from (a TaskRecord round-trips exactly).</remarks>
    public static readonly Collection<TaskRecord> Tasks = new("tasks", CoreJsonContext.Default.TaskRecord) { KeepsWrittenValue = true };

    /// <summary>Registered agents (key: agent id). Written by AgentService (registration, reconnects, held ports), DrainService, and ReconcileLoop (unreachable).</summary>
    public static readonly Collection<AgentInfo> Agents = new("agents", CoreJsonContext.Default.AgentInfo);

    /// <summary>Last failed task per app (key: app id), shown as lastTaskFailure. Written by AgentService with the failure.</summary>
    public static readonly Collection<TaskFailureRecord> TaskFailures = new("task-failures", CoreJsonContext.Default.TaskFailureRecord);

    /// <summary>
    /// Stored app versions that a revert undid (key: <see cref="VersionKey"/>, like the version itself). Written in the
    /// revert's own batch (DeploymentService.PlanRevert); deleted whenever the version is (AppWrites.DeleteVersion).
    /// </summary>
    public static readonly Collection<RevertedVersion> RevertedVersions = new("reverted-versions", CoreJsonContext.Default.RevertedVersion);

    /// <summary>
    /// Deployments in progress (key: deployment id). Created by AppService/GroupService/DELETE /v2/deployments (a
    /// revert), advanced, failed and deleted on success by DeploymentMonitor within the reconcile pass.
    /// </summary>
    public static readonly Collection<DeploymentRecord> Deployments = new("deployments", CoreJsonContext.Default.DeploymentRecord);

    /// <summary>Marathon groups that exist apart from their apps (key: group id). Written by GroupService.</summary>
    public static readonly Collection<GroupRecord> Groups = new("groups", CoreJsonContext.Default.GroupRecord);

    /// <summary>External services registered through the Consul agent API (key: service id; they live on the server's node). Written by ExternalServices.</summary>
    public static readonly Collection<ExternalService> Services = new("consul-services", DiscoveryJsonContext.Default.ExternalService);

    /// <summary>
    /// Checks of external services (ServiceId set) and node checks of the server's node (ServiceId empty) (key: check id).
    /// Registered by ExternalServices; status, output and TTL deadline written by ServiceCheckRunner and TTL updates.
    /// </summary>
    public static readonly Collection<ExternalCheck> Checks = new("consul-checks", DiscoveryJsonContext.Default.ExternalCheck);

    /// <summary>Consul KV (key: KV key): value bytes and flags; CreateIndex/ModifyIndex are the store entry's. Written by KvEndpoints.</summary>
    public static readonly Collection<KvValue> Kv = new("kv", DiscoveryJsonContext.Default.KvValue);

    /// <summary>
    /// One entry (<see cref="TombstoneKey"/>) rewritten in every batch that deletes KV keys: its ModifyIndex is the index
    /// of the latest KV delete, so an index computed from the remaining keys never goes backwards (Consul keeps tombstones for this).
    /// </summary>
    public static readonly Collection<KvTombstone> KvTombstones = new("kv-tombstones", DiscoveryJsonContext.Default.KvTombstone);

    /// <summary>Runtime tags of an app task (key: task id), replacing its DROVER_TAGS label (PUT /v1/drover/tasks/{id}/tags); dropped by DiscoveryJanitor with the task.</summary>
    public static readonly Collection<TaskTags> TaskTags = new("task-tags", DiscoveryJsonContext.Default.TaskTags);

    /// <summary>The cluster's join secret and CA (one entry, <see cref="ClusterTrustRecord.Key"/>). Written once by ServerSecurity when the cluster is first set up.</summary>
    public static readonly Collection<ClusterTrustRecord> ClusterTrust = new("cluster-trust", SecurityJsonContext.Default.ClusterTrustRecord);

    /// <summary>
    /// Marathon events, one document per write that caused any (key: <see cref="Storage.EventLog.NewKey"/>). Written by
    /// <see cref="StateWriter"/> in the batch of the write itself, pruned there to <see cref="Storage.EventLog.Capacity"/>;
    /// read by every server's <see cref="Events.EventProjector"/>.
    /// </summary>
    /// <remarks>An entry keeps the batch it was written from (three strings an event: they round-trip exactly), so the writing server's projector does not decode it again.</remarks>
    public static readonly Collection<EventBatch> EventLog = new("event-log", EventJsonContext.Default.EventBatch) { KeepsWrittenValue = true };

    /// <summary>
    /// Launch backoff per app (key: app id): written by AgentService in the batch of the task failure that causes it,
    /// deleted by ReconcileLoop in the batch of its pass when the app runs well again or is gone, and by
    /// DELETE /v2/queue/{app}/delay. In the store so that a new leader keeps delaying a crash-looping app.
    /// </summary>
    public static readonly Collection<LaunchBackoff> LaunchBackoffs = new("launch-backoffs", SchemaJsonContext.Default.LaunchBackoff);

    /// <summary>
    /// Tasks whose end an agent reported, with their last record (key: <see cref="Tasks.RecentTasks.Key"/>, by end time).
    /// Written by AgentService in the batch that removes the task; the oldest beyond <see cref="Tasks.RecentTasks.Capacity"/>
    /// deleted by ReconcileLoop's pass. Read for logs of ended tasks and for adopting tasks an agent restarted while cut off.
    /// </summary>
    public static readonly Collection<EndedTask> EndedTasks = new("ended-tasks", SchemaJsonContext.Default.EndedTask);

    /// <summary>
    /// When each app waiting for placement began to wait (key: app id), GET /v2/queue's "since". Written by
    /// ReconcileLoop's pass when an app starts or stops waiting, so the time survives a failover.
    /// </summary>
    public static readonly Collection<QueueWaiting> QueueWaiting = new("launch-queue-since", SchemaJsonContext.Default.QueueWaiting);

    /// <summary>
    /// One key (<see cref="TombstoneKey"/>): the last reconcile pass that launched tasks, on whichever server. Written by
    /// ReconcileLoop with every launch, with a precondition on the mark it read: a pass decided on a copy of the state
    /// that misses another pass's launches (a new leader still catching up) fails there instead of launching twice.
    /// </summary>
    public static readonly Collection<LaunchMark> LaunchMarks = new("launch-marks", SchemaJsonContext.Default.LaunchMark);

    /// <summary>
    /// When the leader last heard from each agent (key: agent id). Written by AgentLivenessRecorder every
    /// ServerOptions.LivenessFlushInterval, one batch for every agent whose time moved (never one write per heartbeat);
    /// its entries of agents no longer registered deleted in the same batch. Read by a new leader to seed its heartbeat
    /// clocks (AgentLiveness.StartTerm) and by GET /v1/drover/agents for lastSeenAt. Each entry also carries the newest
    /// applied heartbeat's number, by which a new leader orders the agent's reports (ReportOrder).
    /// </summary>
    public static readonly Collection<AgentLastSeen> AgentLastSeen = new("agent-last-seen", SchemaJsonContext.Default.AgentLastSeen);

    public const string TombstoneKey = "last";

    public static string VersionKey(string appId, string version) => appId + "@" + version;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LaunchBackoff))]
[JsonSerializable(typeof(EndedTask))]
[JsonSerializable(typeof(QueueWaiting))]
[JsonSerializable(typeof(LaunchMark))]
[JsonSerializable(typeof(AgentLastSeen))]
public partial class SchemaJsonContext : JsonSerializerContext;
