using System.Text.Json.Serialization;
using Drover.Scheduling;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>The server's storage schema: every collection it keeps, what it holds and who writes it.</summary>
public static class Schema
{
    /// <summary>
    /// Marathon events, one document per write that caused any (key: <see cref="Events.EventLog.NewKey"/>). Written by
    /// <see cref="StateWriter"/> in the batch of the write itself, pruned there to <see cref="Events.EventLog.Capacity"/>;
    /// read by every server's <see cref="Events.EventProjector"/>.
    /// </summary>
    public static readonly Collection<Events.EventBatch> EventLog = new("event-log", Events.EventJsonContext.Default.EventBatch);

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
    public static readonly Collection<Tasks.EndedTask> EndedTasks = new("ended-tasks", SchemaJsonContext.Default.EndedTask);

    /// <summary>
    /// When each app waiting for placement began to wait (key: app id), GET /v2/queue's "since". Written by
    /// ReconcileLoop's pass when an app starts or stops waiting, so the time survives a failover.
    /// </summary>
    public static readonly Collection<Reconcile.QueueWaiting> QueueWaiting = new("launch-queue-since", SchemaJsonContext.Default.QueueWaiting);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LaunchBackoff))]
[JsonSerializable(typeof(Tasks.EndedTask))]
[JsonSerializable(typeof(Reconcile.QueueWaiting))]
public partial class SchemaJsonContext : JsonSerializerContext;
