using System.Globalization;

namespace Drover.Agent.Logs;

/// <summary>
/// How large a task's stdout or stderr may grow: at <see cref="MaxSize"/> bytes the file is rotated, and at most
/// <see cref="MaxFiles"/> files (the current one included) are kept per stream, the oldest dropped. These are the
/// meanings of Docker's json-file max-size / max-file and of Mesos' LogrotateContainerLogger; the defaults
/// (10 MiB, 5 files) follow Docker's common production setting.
/// </summary>
public sealed record LogRotationPolicy(long MaxSize, int MaxFiles)
{
    public const long DefaultMaxSize = 10L * 1024 * 1024;
    public const int DefaultMaxFiles = 5;

    public static LogRotationPolicy Default { get; } = new(DefaultMaxSize, DefaultMaxFiles);

    /// <summary>Problems with these values, named after the agent options that set them.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxSize < 4096) errors.Add($"logMaxSize: must be at least 4096 bytes, got {MaxSize}");
        if (MaxFiles < 1) errors.Add($"logMaxFiles: must be at least 1, got {MaxFiles}");
        return errors;
    }
}

/// <summary>One rotation: the rotated file "stream.1" holds bytes [Start, End) of the current file as it was.</summary>
public readonly record struct LogRotationMark(long Generation, long Start, long End);

/// <summary>
/// Rotates a sandbox log in place ("copytruncate", as logrotate does it). A process task writes its stdout/stderr
/// files itself through descriptors opened with O_APPEND, and must outlive the agent, so the agent cannot sit in
/// the pipe (as dockerd and Mesos' logger process do) nor rename the file under it: it copies the file to
/// "stream.1" (shifting older ones to .2, .3 …) and truncates it; the task's next write lands at the new end.
/// The task is never slowed. The price, as with logrotate's copytruncate: bytes written between the end of the
/// copy and the truncation (microseconds) are lost, and the current file can overshoot the cap by what the task
/// writes between two checks. A burst far over the cap keeps only its last <see cref="LogRotationPolicy.MaxSize"/>
/// bytes (from a line start), so every rotated file stays within the cap.
/// A sidecar (".stream.rotated", "generation start end" per rotation, newest first) tells followers where their
/// position went, also across several rotations they did not see.
/// </summary>
public static class LogRotation
{
    // How far past the cut a line start is looked for; a longer line is cut mid-way.
    private const int LineSearch = 64 * 1024;

    public static string RotatedPath(string sandbox, string stream, int n) => Path.Combine(sandbox, $"{stream}.{n}");

    public static string MarkPath(string sandbox, string stream) => Path.Combine(sandbox, $".{stream}.rotated");

    /// <summary>How many rotations the mark file remembers: enough to account for every rotated file kept, and for some deleted ones.</summary>
    public const int MarksKept = 32;

    /// <summary>The last rotation of a stream; generation 0 (never rotated) when there is no readable mark.</summary>
    public static LogRotationMark ReadMark(string sandbox, string stream)
    {
        var marks = ReadMarks(sandbox, stream);
        return marks.Count > 0 ? marks[0] : default;
    }

    /// <summary>
    /// The last rotations of a stream, newest first (one line each, "generation start end"; a mark file written
    /// before the history was kept has just the newest). The rotation of generation g made "stream.1" of the file of
    /// generation g − 1; after the newest, of generation G, that file is "stream.(G − g + 1)" while it is kept.
    /// </summary>
    public static IReadOnlyList<LogRotationMark> ReadMarks(string sandbox, string stream)
    {
        var marks = new List<LogRotationMark>();
        try
        {
            foreach (var line in File.ReadAllLines(MarkPath(sandbox, stream)))
            {
                var parts = line.Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3
                    && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var g)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                    && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var e))
                    marks.Add(new LogRotationMark(g, s, e));
                else break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return marks;
    }

    /// <summary>The rotated files that exist, newest first ("stream.1", "stream.2" …).</summary>
    public static IReadOnlyList<string> RotatedFiles(string sandbox, string stream)
    {
        var files = new List<string>();
        for (var n = 1; File.Exists(RotatedPath(sandbox, stream, n)); n++) files.Add(RotatedPath(sandbox, stream, n));
        return files;
    }

    /// <summary>
    /// Rotates <paramref name="stream"/> in <paramref name="sandbox"/> when it has reached the cap. Returns the mark of
    /// the rotation, or null when the file is below the cap (or absent).
    /// </summary>
    public static LogRotationMark? RotateIfFull(string sandbox, string stream, LogRotationPolicy policy)
    {
        var current = Path.Combine(sandbox, stream);
        if (!File.Exists(current) || new FileInfo(current).Length < policy.MaxSize) return null;
        using var log = new FileStream(current, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        var history = ReadMarks(sandbox, stream);
        var previous = history.Count > 0 ? history[0] : default;
        long start = 0, end = log.Length;
        if (policy.MaxFiles > 1)
        {
            File.Delete(RotatedPath(sandbox, stream, policy.MaxFiles - 1));
            for (var n = policy.MaxFiles - 2; n >= 1; n--)
            {
                if (File.Exists(RotatedPath(sandbox, stream, n)))
                    File.Move(RotatedPath(sandbox, stream, n), RotatedPath(sandbox, stream, n + 1), overwrite: true);
            }
            start = StartOfKeptPart(log, end, policy.MaxSize);
            end = CopyToEnd(log, start, RotatedPath(sandbox, stream, 1));
        }
        var mark = new LogRotationMark(previous.Generation + 1, start, end);
        // The mark before the truncation: a follower that sees the shorter file then also sees where its bytes went.
        var tmp = MarkPath(sandbox, stream) + ".tmp";
        File.WriteAllLines(tmp, [.. new[] { mark }.Concat(history).Take(MarksKept)
            .Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Generation} {m.Start} {m.End}"))]);
        File.Move(tmp, MarkPath(sandbox, stream), overwrite: true);
        log.SetLength(0);
        return mark;
    }

    /// <summary>Where the kept part of a file of <paramref name="length"/> bytes starts: the last maxSize bytes, from a line start.</summary>
    private static long StartOfKeptPart(FileStream log, long length, long maxSize)
    {
        if (length <= maxSize) return 0;
        var cut = length - maxSize;
        var buffer = new byte[(int)Math.Min(LineSearch, length - cut)];
        log.Position = cut;
        var n = log.Read(buffer);
        var nl = Array.IndexOf(buffer, (byte)'\n', 0, n);
        return nl < 0 ? cut : cut + nl + 1;
    }

    /// <summary>Copies from <paramref name="start"/> to the end of the file as it grows meanwhile; returns where the copy ended.</summary>
    private static long CopyToEnd(FileStream log, long start, string destination)
    {
        var tmp = destination + ".tmp";
        using (var output = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
        {
            log.Position = start;
            log.CopyTo(output, 1 << 16);
        }
        var end = log.Position;
        File.Move(tmp, destination, overwrite: true);
        return end;
    }
}
