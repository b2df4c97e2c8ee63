namespace Drover.IntegrationTests.Ha.History;

/// <summary>
/// What a client learned about one operation, as Jepsen records it: it took effect (ok), it certainly did not
/// (failed: a 4xx, a CAS answered false, or a 5xx marked <c>X-Drover-Not-Applied: true</c>), or the client cannot know
/// (indeterminate: a timeout, a lost connection, any other 5xx; a forwarded write may have been applied before the
/// connection to the leader broke).
/// </summary>
public enum Outcome
{
    /// <summary>The default: until its answer is in, nothing is known of an operation.</summary>
    Indeterminate,
    Ok,
    Failed,
}

/// <summary>
/// One operation of the history: who made it, when it was invoked and when its outcome came back (time since the run
/// began, one clock for every client), and the outcome. An operation takes effect, if at all, at one moment between
/// <see cref="Invoked"/> and <see cref="Completed"/> (an indeterminate one: at any moment after <see cref="Invoked"/>).
/// </summary>
public abstract record HistoryOp
{
    public int Client { get; init; }
    public TimeSpan Invoked { get; init; }
    public TimeSpan Completed { get; init; }
    public Outcome Outcome { get; init; }

    /// <summary>Why it failed or is indeterminate, for the report.</summary>
    public string? Error { get; init; }
}

/// <summary>An operation on one app; <see cref="Effect"/> is the app's state if this operation was the last to take effect.</summary>
public abstract record AppOp(string AppId) : HistoryOp
{
    /// <summary>The app's instance count after this operation, or null: the app does not exist.</summary>
    public abstract int? Effect { get; }
}

/// <summary>POST /v2/apps (409 when the app exists).</summary>
public sealed record CreateApp(string AppId, int Instances) : AppOp(AppId)
{
    public override int? Effect => Instances;
}

/// <summary>A change of the instance count (404 when the app does not exist).</summary>
public sealed record ScaleApp(string AppId, int Instances) : AppOp(AppId)
{
    public override int? Effect => Instances;
}

/// <summary>DELETE /v2/apps/{id} (404 when the app does not exist).</summary>
public sealed record DeleteApp(string AppId) : AppOp(AppId)
{
    public override int? Effect => null;
}

/// <summary>
/// A counter increment on a Consul KV key: the client read the value and its ModifyIndex (0 and 0 when the key did
/// not exist), then wrote value + 1 with <c>?cas=ModifyIndex</c>.
/// </summary>
public sealed record CasIncrement(string Key, long ReadIndex, long ReadValue) : HistoryOp
{
    public long Written => ReadValue + 1;
}

/// <summary>A task seen once the cluster converged, and who reported it (the servers' API or the agent itself).</summary>
public sealed record ObservedTask(string Source, string AppId, string TaskId);

/// <summary>
/// The cluster's state once it converged: each app's desired instance count, each counter's value (a key not listed
/// does not exist, i.e. 0), and the tasks every source reported.
/// </summary>
public sealed record FinalState(IReadOnlyDictionary<string, int> Apps, IReadOnlyDictionary<string, long> Counters, IReadOnlyList<ObservedTask> Tasks);
