using Drover.Core.Retry;
using Drover.Agent.Docker;

namespace Drover.Agent.Drivers.Docker;

/// <summary>Noticing that containers ended (Docker's event stream) and finishing their tasks.</summary>
public sealed partial class DockerDriver
{
    /// <summary>Docker keeps recent events: after a reconnect it replays those since the last one seen, so no exit is missed.</summary>
    private static readonly TimeSpan ReplayMargin = TimeSpan.FromSeconds(1);

    private void Watch(DockerTaskHandle handle)
    {
        _watched[handle.ContainerId] = handle;
        // It may have ended before it was watched: the event went by unnoticed.
        _ = FinishIfStoppedAsync(handle);
    }

    /// <summary>Finishes the task when its container is not running any more (or is gone).</summary>
    internal async Task FinishIfStoppedAsync(DockerTaskHandle handle)
    {
        if (handle.Exited.IsCompleted) return;
        try
        {
            var info = await Client.InspectContainerAsync(handle.ContainerId, _stopping.Token).ConfigureAwait(false);
            if (info is { State.Running: true }) return;
            await FinishAsync(handle).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException)
        {
            Log.ContainerInspectFailed(handle.TaskId, e.Message);
        }
    }

    /// <summary>
    /// Once per task: how the container ended (exit status, OOM kill), its output archived into the sandbox, the
    /// container removed, then the handle completes. Nothing here throws: a daemon error leaves less detail, not a hung task.
    /// </summary>
    private async Task FinishAsync(DockerTaskHandle handle)
    {
        if (!handle.TryBeginFinish()) return;
        var id = handle.ContainerId;
        TaskExit exit;
        try
        {
            var info = await Client.InspectContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            exit = ExitOf(info, handle.Spec, Time.GetUtcNow());
            if (info is not null)
            {
                try
                {
                    await DockerLogArchive.ArchiveAsync(Client, id, handle.Sandbox, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is DockerApiException or DockerProtocolException or IOException or UnauthorizedAccessException)
                {
                    Log.ContainerLogsNotArchived(handle.TaskId, e.Message);
                }
                // Kept until the server has the task's end: the container (and Docker's answer) is gone after this.
                WriteRecord(handle.Record with { Exit = exit });
                await RemoveQuietlyAsync(id).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException)
        {
            Log.ContainerInspectFailed(handle.TaskId, e.Message);
            exit = new TaskExit(null, null, Time.GetUtcNow());
        }
        _watched.TryRemove(id, out _);
        Log.ContainerEnded(handle.TaskId, DockerClient.Short(id), exit.Describe());
        handle.Complete(exit);
    }

    /// <summary>How a container ended, from its inspection (null: removed by someone else before we looked).</summary>
    public static TaskExit ExitOf(ContainerInspect? info, Core.Cluster.TaskSpec spec, DateTimeOffset now)
    {
        if (info is null) return new TaskExit(null, null, now, "the container was removed outside Drover");
        var state = info.State;
        var exit = TaskExit.FromShellStatus(state.ExitCode, now);
        if (state.OOMKilled)
        {
            var limit = spec.MemMb > 0 ? $"memory limit {spec.MemMb:0.##} MiB" : "no memory limit set";
            return exit with { Reason = $"OOM killed: {limit}" };
        }
        // A runtime failure (bad entrypoint, missing mount source) has an exit code but says why in Error.
        return state.Error is { Length: > 0 } error ? exit with { Reason = $"{exit.Describe()}: {error}" } : exit;
    }

    /// <summary>
    /// One stream of "die" events for this agent's containers, reconnected with backoff; every watched container
    /// is looked at again after a break, in case Docker no longer has the event.
    /// </summary>
    private async Task WatchEventsAsync(CancellationToken ct)
    {
        await Task.Yield();
        var filters = new Dictionary<string, List<string>>
        {
            ["type"] = ["container"],
            ["event"] = ["die"],
            ["label"] = [$"{DockerContainerSpec.AgentLabel}={AgentKey}"],
        };
        var since = Time.GetUtcNow() - ReplayMargin;
        var backoff = new Backoff(Time, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        var broken = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (broken) foreach (var h in _watched.Values) _ = FinishIfStoppedAsync(h);
                await foreach (var e in Client.EventsAsync(filters, since, ct).ConfigureAwait(false))
                {
                    backoff.Reset();
                    since = DockerEvents.TimeOf(e) - ReplayMargin;
                    if (e.ContainerId is { } id && _watched.TryGetValue(id, out var handle)) _ = FinishIfStoppedAsync(handle);
                }
                broken = true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DockerApiException or DockerProtocolException or IOException or HttpRequestException)
            {
                if (!broken) Log.DockerEventsFailed(e.Message);
                broken = true;
            }
            try { await backoff.DelayAsync(backoff.Next(), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// Whether a Docker daemon answers at <paramref name="socket"/> with API v1.41 or later; the reason when not
    /// ("no socket", "permission denied", "API 1.40 is older than 1.41").
    /// </summary>
    public static async Task<(bool Ok, string Detail)> DetectAsync(string socket, CancellationToken ct)
    {
        if (!File.Exists(socket)) return (false, $"no Docker socket at {socket}");
        using var client = new DockerClient(socket);
        try
        {
            var version = await client.VersionAsync(ct).ConfigureAwait(false);
            if (!Version.TryParse(version.ApiVersion, out var api) || api < Version.Parse(DockerClient.ApiVersion))
                return (false, $"Docker {version.Version} at {socket} speaks API {version.ApiVersion}, older than the {DockerClient.ApiVersion} Drover needs");
            return (true, $"Docker {version.Version} (API {version.ApiVersion}) at {socket}");
        }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException)
        {
            return (false, e.Message);
        }
    }
}
