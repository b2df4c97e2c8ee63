using System.Globalization;
using System.Text;

namespace Drover.Agent.Logs;

/// <summary>At <see cref="At"/> the log file was <see cref="Size"/> bytes long.</summary>
public readonly record struct LogCheckpoint(DateTimeOffset At, long Size);

/// <summary>
/// Maps a moment to a byte offset in a log file. The task writes its stdout/stderr files itself (it
/// inherits the descriptors and outlives the agent), so no line carries a timestamp; instead the agent
/// samples each file's size about once a second and keeps a checkpoint whenever it changed. Bytes
/// between two checkpoints were written somewhere between their times, so answers are precise to about
/// one sampling period (~1 s), and err towards a little more output, never less.
/// Pure: the caller brings the clock, the file size and the storage.
/// </summary>
public static class LogOffsetIndex
{
    /// <summary>How often the agent samples the log files of its tasks.</summary>
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(1);

    /// <summary>Checkpoints closer than this are not kept, even if the sampler runs late and then catches up.</summary>
    public static readonly TimeSpan MinSpacing = SamplePeriod / 2;

    /// <summary>Above this many checkpoints the index is compacted (a few dozen KB on disk per stream).</summary>
    public const int MaxCheckpoints = 2048;

    /// <summary>
    /// Whether a sample of <paramref name="size"/> bytes taken at <paramref name="now"/> is worth a checkpoint:
    /// the size changed, and not too soon after the last one. A wall clock stepped back records nothing until
    /// it has passed the last checkpoint again, so checkpoints stay sorted by time.
    /// </summary>
    public static bool ShouldRecord(LogCheckpoint? last, DateTimeOffset now, long size) =>
        last is not { } l || (size != l.Size && now - l.At >= MinSpacing);

    /// <summary>The file shrank (truncated or replaced): every offset recorded before is void.</summary>
    public static bool IsTruncation(LogCheckpoint? last, long size) => last is { } l && size < l.Size;

    /// <summary>
    /// Where output written at or after <paramref name="since"/> starts: the size at the last checkpoint
    /// at or before <paramref name="since"/>; the start of the file when there is none (nothing is known
    /// that early); at most <paramref name="fileSize"/>. When <paramref name="since"/> is after the last
    /// change and nothing was written since, that is the end of the file.
    /// </summary>
    /// <param name="lastWrite">
    /// The file's modification time, read after <paramref name="fileSize"/>: a checkpoint of its own that
    /// exists before the first sample and between samples. It is trusted only from <see cref="SamplePeriod"/>
    /// after it, as file times lag the clock by a tick and answers must never lose output.
    /// </param>
    public static long StartOffset(IReadOnlyList<LogCheckpoint> checkpoints, DateTimeOffset since, long fileSize, DateTimeOffset? lastWrite = null)
    {
        if (lastWrite is { } written && since >= written + SamplePeriod) return Math.Max(0, fileSize);
        // Binary search for the last checkpoint with At <= since (checkpoints are sorted by time).
        int lo = 0, hi = checkpoints.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (checkpoints[mid].At <= since)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        var offset = found < 0 ? 0 : checkpoints[found].Size;
        return Math.Clamp(offset, 0, Math.Max(0, fileSize));
    }

    /// <summary>
    /// Bounds the index: the older half is thinned to every other checkpoint until at most 3/4 of
    /// <paramref name="max"/> are left, so precision decays with age while recent output stays
    /// precise. Dropping a checkpoint only moves answers earlier (more output), never later; the first
    /// and the last checkpoint are always kept.
    /// </summary>
    public static IReadOnlyList<LogCheckpoint> Compact(IReadOnlyList<LogCheckpoint> checkpoints, int max = MaxCheckpoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 8);
        if (checkpoints.Count <= max) return checkpoints;
        var target = max / 4 * 3;
        var list = checkpoints.ToList();
        while (list.Count > target)
        {
            var half = list.Count / 2;
            var kept = new List<LogCheckpoint>(list.Count);
            for (var i = 0; i < half; i += 2) kept.Add(list[i]);
            kept.AddRange(list.Skip(half));
            list = kept;
        }
        return list;
    }

    /// <summary>
    /// One line of the sidecar file: unix milliseconds and size. The time is rounded up: a checkpoint stored
    /// as earlier than it was taken could answer a moment just before it and lose what was written meanwhile.
    /// </summary>
    public static string Format(LogCheckpoint c)
    {
        var ms = c.At.ToUnixTimeMilliseconds();
        if ((c.At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % TimeSpan.TicksPerMillisecond > 0) ms++;
        return string.Create(CultureInfo.InvariantCulture, $"{ms} {c.Size}\n");
    }

    public static string Format(IEnumerable<LogCheckpoint> checkpoints)
    {
        var sb = new StringBuilder();
        foreach (var c in checkpoints) sb.Append(Format(c));
        return sb.ToString();
    }

    /// <summary>
    /// Reads a sidecar file's text. A last line without its newline (the agent died while appending) and
    /// lines that are not two numbers are skipped; so is any checkpoint that would go back in time or size.
    /// </summary>
    public static IReadOnlyList<LogCheckpoint> Parse(string text)
    {
        var result = new List<LogCheckpoint>();
        var complete = text.LastIndexOf('\n');
        if (complete < 0) return result;
        foreach (var line in text.AsSpan(0, complete).EnumerateLines())
        {
            var space = line.IndexOf(' ');
            if (space <= 0
                || !long.TryParse(line[..space], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms)
                || !long.TryParse(line[(space + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                continue;
            var c = new LogCheckpoint(DateTimeOffset.FromUnixTimeMilliseconds(ms), size);
            if (result.Count > 0 && (c.At < result[^1].At || c.Size < result[^1].Size)) continue;
            result.Add(c);
        }
        return result;
    }
}
