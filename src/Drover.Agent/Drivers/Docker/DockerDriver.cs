using System.Collections.Concurrent;
using System.Text.Json;
using Drover.Agent.Docker;
using Drover.Agent.Logs;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Drivers.Docker;

public sealed record DockerDriverOptions
{
    /// <summary>The agent's data directory; the driver keeps docker/tasks (records) and docker/sandboxes under it.</summary>
    public required string DataDir { get; init; }
    public string Socket { get; init; } = DockerClient.DefaultSocket;
    /// <summary>Hard CPU limit for every container instead of shares (the agent's --cpu-hard-limit).</summary>
    public bool CpuHardLimit { get; init; }
    /// <summary>A pull that takes longer fails the launch.</summary>
    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Runs <c>container.type: DOCKER</c> tasks as Docker containers (Mesos' Docker containerizer, Nomad's docker
/// driver) through the Docker Engine API. Containers carry labels naming their task, app, version and agent, so
/// a restarted agent re-adopts them instead of starting them again. One event stream notices exits at once.
/// When a container ends, its output is archived into the task's sandbox and the container is removed.
/// </summary>
public sealed partial class DockerDriver : ITaskDriver
{
    private readonly DockerDriverOptions _options;
    private readonly ArtifactFetcher _fetcher;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(10) };
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, DockerTaskHandle> _watched = new(StringComparer.Ordinal);
    private readonly Task _events;
    private volatile IReadOnlyList<string> _dns = [];

    public DockerDriver(DockerDriverOptions options, ILogger<DockerDriver>? log = null, TimeProvider? time = null)
    {
        _options = options;
        Log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<DockerDriver>.Instance;
        Time = time ?? TimeProvider.System;
        Client = new DockerClient(options.Socket);
        _fetcher = new ArtifactFetcher(_http);
        // The data directory names this agent among all that share the daemon (there is no agent id before registration).
        AgentKey = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(TasksDir);
        Directory.CreateDirectory(SandboxesDir);
        _events = WatchEventsAsync(_stopping.Token);
    }

    public string Name => TaskDrivers.Docker;
    internal DockerClient Client { get; }
    internal ILogger Log { get; }
    internal TimeProvider Time { get; }
    /// <summary>The value of the drover.agent label on this agent's containers.</summary>
    public string AgentKey { get; }

    /// <summary>Resolvers for containers started from now on (Drover's DNS when containers can reach it; empty = Docker's default).</summary>
    public IReadOnlyList<string> ContainerDns
    {
        get => _dns;
        set => _dns = value;
    }

    private string Root => Path.Combine(_options.DataDir, "docker");
    private string TasksDir => Path.Combine(Root, "tasks");
    private string SandboxesDir => Path.Combine(Root, "sandboxes");
    private string RecordPath(string taskId) => Path.Combine(TasksDir, taskId + ".json");

    public string GetSandboxPath(string taskId) =>
        TaskIds.IsSafe(taskId) ? Path.Combine(SandboxesDir, taskId) : throw new ArgumentException($"unsafe task id '{taskId}'", nameof(taskId));

    public bool CanRun(TaskSpec spec) => TaskDrivers.Required(spec.Container) == TaskDrivers.Docker;

    /// <summary>Docker's names allow [a-zA-Z0-9_.-]: task ids may also hold + and @.</summary>
    public static string ContainerName(string taskId) =>
        "drover-" + string.Concat(taskId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_'));

    public async Task<ITaskHandle> StartAsync(TaskSpec spec, CancellationToken ct)
    {
        if (!TaskIds.IsSafe(spec.TaskId))
            throw new TaskLaunchException($"task id '{spec.TaskId}' may only contain letters, digits and . _ - + @");
        if (!CanRun(spec)) throw new TaskLaunchException("the docker driver runs only tasks with container.docker.image");

        var sandbox = GetSandboxPath(spec.TaskId);
        try
        {
            Directory.CreateDirectory(sandbox);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TaskLaunchException($"cannot create sandbox {sandbox}: {e.Message}", e);
        }
        // Before the pull: a spec Docker cannot run fails at once, and fetched files may hold the registry credentials.
        var body = DockerContainerSpec.Build(spec, new ContainerSpecContext
        {
            Sandbox = sandbox, AgentKey = AgentKey, Dns = _dns, CpuHardLimit = _options.CpuHardLimit,
        });
        await _fetcher.FetchAllAsync(spec.Fetch, sandbox, ct).ConfigureAwait(false);
        await EnsureImageAsync(spec, body.Image, sandbox, ct).ConfigureAwait(false);

        var record = new DockerTaskRecord
        {
            TaskId = spec.TaskId, ContainerName = ContainerName(spec.TaskId), Sandbox = sandbox, StartedAt = Time.GetUtcNow(), Spec = spec,
        };
        WriteRecord(record);
        string? id = null;
        try
        {
            id = await Client.CreateContainerAsync(record.ContainerName, body, ct).ConfigureAwait(false);
            record = record with { ContainerId = id };
            WriteRecord(record);
            await Client.StartContainerAsync(id, ct).ConfigureAwait(false);
            var info = await Client.InspectContainerAsync(id, ct).ConfigureAwait(false);
            record = record with { StartedAt = info is not null && DockerLogFrames.TryParseTime(info.State.StartedAt, out var at) && at.Year > 1 ? at : record.StartedAt };
            WriteRecord(record);
            var handle = new DockerTaskHandle(this, record, info?.State.Pid ?? 0, recovered: false);
            Log.ContainerStarted(spec.TaskId, DockerClient.Short(id), body.Image);
            Watch(handle);
            return handle;
        }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException or OperationCanceledException)
        {
            if (id is not null) await RemoveQuietlyAsync(id).ConfigureAwait(false);
            File.Delete(RecordPath(spec.TaskId));
            if (e is OperationCanceledException) throw;
            throw new TaskLaunchException($"cannot start container for image {body.Image}: {e.Message}", e);
        }
    }

    /// <summary>Pulls when the image is missing or forcePullImage is set, with the sandbox's registry credentials if any.</summary>
    private async Task EnsureImageAsync(TaskSpec spec, string image, string sandbox, CancellationToken ct)
    {
        var force = spec.Container?.Docker?.ForcePullImage == true;
        try
        {
            if (!force && await Client.InspectImageAsync(image, ct).ConfigureAwait(false) is not null) return;
            var reference = ImageReference.Parse(image);
            var auth = DockerConfigAuth.Find(sandbox, reference.Registry);
            Log.ImagePulling(spec.TaskId, image, auth is null ? "without credentials" : $"as {auth.Username}");
            await Client.PullAsync(reference, auth, _options.PullTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException)
        {
            throw new TaskLaunchException($"cannot pull image {image}: {(e is DockerApiException d ? d.DockerMessage : e.Message)}", e);
        }
    }

    public async Task<IReadOnlyList<ITaskHandle>> RecoverAsync(CancellationToken ct)
    {
        var containers = await Client.ListContainersAsync(new Dictionary<string, string> { [DockerContainerSpec.AgentLabel] = AgentKey }, ct)
            .ConfigureAwait(false);
        var byTask = new Dictionary<string, ContainerSummary>(StringComparer.Ordinal);
        foreach (var c in containers)
        {
            if (c.Labels?.GetValueOrDefault(DockerContainerSpec.TaskLabel) is { } taskId) byTask[taskId] = c;
        }
        var handles = new List<ITaskHandle>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in ReadRecords())
        {
            ct.ThrowIfCancellationRequested();
            known.Add(record.TaskId);
            if (record.ContainerId is { } id && byTask.TryGetValue(record.TaskId, out var c) && c.Id == id)
            {
                var info = await Client.InspectContainerAsync(id, ct).ConfigureAwait(false);
                var handle = new DockerTaskHandle(this, record, info?.State.Pid ?? 0, recovered: true);
                if (info?.State.Running == true)
                {
                    Log.ContainerReadopted(record.TaskId, DockerClient.Short(id));
                    Watch(handle);
                }
                else
                {
                    await FinishAsync(handle).ConfigureAwait(false);
                    Log.TaskEndedWhileAway(record.TaskId, (await handle.Exited.ConfigureAwait(false)).Describe());
                }
                handles.Add(handle);
                continue;
            }
            // No container: it ended and was removed (the exit is recorded), the agent stopped before creating it, or
            // someone removed it meanwhile.
            var gone = new DockerTaskHandle(this, record with { ContainerId = record.ContainerId ?? "" }, 0, recovered: true);
            gone.TryBeginFinish();
            gone.Complete(record.Exit ?? new TaskExit(null, null, Time.GetUtcNow(),
                record.ContainerId is null ? "the agent stopped before the container was created" : "the container was removed while the agent was away"));
            handles.Add(gone);
        }
        // Labelled ours, but no record says why: a launch the agent gave up on half-way. Nobody wants it.
        foreach (var (taskId, c) in byTask)
        {
            if (known.Contains(taskId)) continue;
            Log.OrphanContainerRemoved(taskId, DockerClient.Short(c.Id));
            await RemoveQuietlyAsync(c.Id).ConfigureAwait(false);
        }
        return handles;
    }

    private List<DockerTaskRecord> ReadRecords()
    {
        var records = new List<DockerTaskRecord>();
        foreach (var file in Directory.EnumerateFiles(TasksDir, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), AgentJsonContext.Default.DockerTaskRecord) is { } r && TaskIds.IsSafe(r.TaskId))
                    records.Add(r);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                Log.RuntimeRecordUnreadable(file, e.Message);
            }
        }
        return records;
    }

    public void Forget(string taskId)
    {
        if (!TaskIds.IsSafe(taskId)) return;
        File.Delete(RecordPath(taskId));
    }

    public IReadOnlyList<string> PruneSandboxes(TimeSpan olderThan, IReadOnlySet<string> keep)
    {
        var cutoff = (Time.GetUtcNow() - olderThan).UtcDateTime;
        var deleted = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(SandboxesDir))
        {
            var id = Path.GetFileName(dir);
            if (keep.Contains(id) || File.Exists(RecordPath(id))) continue;
            try
            {
                if (Directory.GetLastWriteTimeUtc(dir) >= cutoff) continue;
                Directory.Delete(dir, recursive: true);
                deleted.Add(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.TaskCleanupFailed(id, e.Message);
            }
        }
        return deleted;
    }

    /// <summary>
    /// The archived output once the container has ended; before that, Docker's log of the running container.
    /// </summary>
    public async Task<ITaskLog?> OpenLogAsync(string taskId, TaskLogRequest request, Func<bool> isRunning, CancellationToken ct)
    {
        if (!TaskIds.IsSafe(taskId)) return null;
        var sandbox = GetSandboxPath(taskId);
        if (SandboxLog.Open(sandbox, request, isRunning, Time) is { } archived) return archived;
        var id = _watched.Values.FirstOrDefault(h => h.TaskId == taskId)?.ContainerId ?? ReadRecord(taskId)?.ContainerId;
        if (string.IsNullOrEmpty(id)) return null;
        try
        {
            if (await Client.InspectContainerAsync(id, ct).ConfigureAwait(false) is not null) return new DockerLiveLog(Client, id, request, isRunning, Time);
        }
        catch (DockerApiException e)
        {
            Log.ContainerLogsUnavailable(taskId, e.Message);
        }
        // Archived and removed in the meantime.
        return SandboxLog.Open(sandbox, request, isRunning, Time);
    }

    private DockerTaskRecord? ReadRecord(string taskId)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(RecordPath(taskId)), AgentJsonContext.Default.DockerTaskRecord);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    internal void WriteRecord(DockerTaskRecord record)
    {
        var path = RecordPath(record.TaskId);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(record, AgentJsonContext.Default.DockerTaskRecord));
        File.Move(tmp, path, overwrite: true);
    }

    private async Task RemoveQuietlyAsync(string containerId)
    {
        try
        {
            await Client.RemoveContainerAsync(containerId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            Log.ContainerRemoveFailed(DockerClient.Short(containerId), e.Message);
        }
    }

    /// <summary>Stops watching; containers keep running (a new driver re-adopts them).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try { await _events.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Client.Dispose();
        _http.Dispose();
        _stopping.Dispose();
    }
}
