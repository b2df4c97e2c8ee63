using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// The acknowledged read position of every shipped source (a task's stdout/stderr file, or its container's log
/// stream), kept in one JSON file in the agent's data directory, as Fluent Bit's tail input keeps its position DB and
/// Filebeat its registry. The sender advances a position once the collector has taken the batch; the file is written
/// (temp file + rename, so a crash leaves the old or the new file, never half of one) at most every
/// <see cref="SavePeriod"/> and at shutdown, never per line. Delivery is at-least-once: a batch the collector took
/// whose position was not yet written when the agent died is shipped again by the restarted agent.
/// Thread-safe: the sender acknowledges, the tail loop reads and prunes, the save loop writes.
/// </summary>
public sealed class LogShipRegistry
{
    public const string FileName = "log-ship-positions.json";

    /// <summary>How often acknowledged positions are written at most: what a crash may ship twice is about this much output.</summary>
    public static readonly TimeSpan SavePeriod = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(string Task, string Stream), ShipPosition> _positions = [];
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly ILogger _log;
    private bool _dirty;

    private LogShipRegistry(string path, ILogger log)
    {
        _path = path;
        _log = log;
    }

    /// <summary>Reads the registry at <paramref name="path"/>; a missing file is an empty registry, a corrupt one too (with a warning), never an error.</summary>
    public static LogShipRegistry Load(string path, ILogger log)
    {
        // written at the first tick even with nothing acknowledged, so a restart knows shipping was on (see Resumes)
        var registry = new LogShipRegistry(path, log) { _dirty = true };
        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(path), LogShipRegistryJsonContext.Default.LogShipRegistryFile);
            foreach (var p in file?.Positions ?? [])
                if (p is { Task.Length: > 0, Stream.Length: > 0, Offset: >= 0, Generation: >= 0, Taken: null or >= 0 })
                    registry._positions[(p.Task, p.Stream)] = new ShipPosition(p.Task, p.Stream, p.Offset, p.Generation, p.Taken ?? 0);
            registry.Resumes = true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            log.LogShipRegistryMissing(path);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // Fluent Bit and Filebeat also start over on a registry they cannot read: shipping goes on, from the current ends
            log.LogShipRegistryUnreadable(path, e.Message);
        }
        return registry;
    }

    /// <summary>
    /// True when the file was read: the agent shipped before this start, so a re-adopted task without a position had
    /// nothing acknowledged and is read from its start. False (no file, or a corrupt one): re-adopted tasks without a
    /// position are followed from their current end, as without a registry.
    /// </summary>
    public bool Resumes { get; private set; }

    /// <summary>Positions known now (for tests and diagnostics).</summary>
    public IReadOnlyList<ShipPosition> Positions
    {
        get
        {
            lock (_lock) return [.. _positions.Values];
        }
    }

    /// <summary>The acknowledged position of one source, if it has one.</summary>
    public ShipPosition? Find(string taskId, string stream)
    {
        lock (_lock) return _positions.TryGetValue((taskId, stream), out var p) ? p : null;
    }

    /// <summary>
    /// The collector took these lines: each source's position moves to its last line among them (lines of one
    /// source are queued in order, so the last is the furthest).
    /// </summary>
    public void Acknowledge(IEnumerable<ShipPosition> positions)
    {
        lock (_lock)
        {
            foreach (var p in positions)
            {
                _positions[(p.TaskId, p.Stream)] = p;
                _dirty = true;
            }
        }
    }

    /// <summary>Forgets the sources of tasks the agent no longer has (ended and forgotten: they are never re-adopted, so never resumed).</summary>
    public void RetainTasks(IReadOnlySet<string> taskIds)
    {
        lock (_lock)
        {
            foreach (var key in _positions.Keys.Where(k => !taskIds.Contains(k.Task)).ToList())
            {
                _positions.Remove(key);
                _dirty = true;
            }
        }
    }

    /// <summary>Writes the file if anything changed since the last write; a failed write is logged and tried again next time.</summary>
    public void SaveIfChanged()
    {
        byte[] json;
        lock (_lock)
        {
            if (!_dirty) return;
            _dirty = false;
            var file = new LogShipRegistryFile([.. _positions.Values
                .OrderBy(p => p.TaskId, StringComparer.Ordinal).ThenBy(p => p.Stream, StringComparer.Ordinal)
                .Select(p => new LogShipRegistryEntry(p.TaskId, p.Stream, p.Offset, p.Generation, p.Stream == ShipPosition.Docker ? p.Taken : null))]);
            json = JsonSerializer.SerializeToUtf8Bytes(file, LogShipRegistryJsonContext.Default.LogShipRegistryFile);
        }
        var tmp = _path + ".tmp";
        try
        {
            File.WriteAllBytes(tmp, json);
            File.Move(tmp, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_lock) _dirty = true;
            _log.LogShipRegistryWriteFailed(_path, e.Message);
        }
    }

    /// <summary>Writes changes every <see cref="SavePeriod"/> until <paramref name="ct"/>, then once more.</summary>
    public async Task RunAsync(TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SavePeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) SaveIfChanged();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        SaveIfChanged();
    }
}

internal sealed record LogShipRegistryFile(
    [property: JsonPropertyName("positions")] List<LogShipRegistryEntry> Positions);

internal sealed record LogShipRegistryEntry(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("stream")] string Stream,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("generation")] long Generation,
    // a container stream's messages at "offset" already shipped. Files written before this field resumed at
    // offset + 1 ns, meaning "all of that nanosecond was shipped", which was not always true; absent, it reads as 0:
    // resume at the offset and skip nothing there. Delivery is at-least-once: shipping a line twice is allowed, losing one is not.
    [property: JsonPropertyName("taken"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Taken = null);

[JsonSerializable(typeof(LogShipRegistryFile))]
internal partial class LogShipRegistryJsonContext : JsonSerializerContext;
