using Drover.Agent.Logs;

namespace Drover.Agent.Tests;

/// <summary>The pure offset index: which offset answers since=T, when to record, compaction, the sidecar format.</summary>
public sealed class LogOffsetIndexTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    // 10 bytes by 1 s, 25 by 5 s, 40 by 9 s.
    private static readonly LogCheckpoint[] Index = [new(At(1), 10), new(At(5), 25), new(At(9), 40)];

    [Theory]
    [InlineData(0, 0)]      // before the first checkpoint: from the start
    [InlineData(0.999, 0)]
    [InlineData(1, 10)]     // at a checkpoint: what was written after it
    [InlineData(3, 10)]     // between: from the last checkpoint at or before T (up to ~1 s of earlier output)
    [InlineData(5, 25)]
    [InlineData(8.9, 25)]
    [InlineData(9, 40)]
    [InlineData(3600, 40)]  // after the last change, nothing written since: the end
    public void Since_starts_at_the_last_checkpoint_at_or_before_it(double since, long expected) =>
        Assert.Equal(expected, LogOffsetIndex.StartOffset(Index, At(since), fileSize: 40));

    [Fact]
    public void Output_not_yet_sampled_is_included_and_offsets_never_pass_the_end()
    {
        Assert.Equal(40, LogOffsetIndex.StartOffset(Index, At(100), fileSize: 55)); // 15 bytes written after the last sample
        Assert.Equal(30, LogOffsetIndex.StartOffset(Index, At(100), fileSize: 30)); // file shorter than the index says
        Assert.Equal(0, LogOffsetIndex.StartOffset([], At(100), fileSize: 30));     // no index: all of it
    }

    [Fact]
    public void The_modification_time_answers_for_later_moments_but_only_a_sample_period_after_it()
    {
        // No sample yet (a task that just started): only the file's own time says nothing was written since.
        Assert.Equal(30, LogOffsetIndex.StartOffset([], At(11), fileSize: 30, lastWrite: At(10)));
        Assert.Equal(0, LogOffsetIndex.StartOffset([], At(10.5), fileSize: 30, lastWrite: At(10)));
        // Otherwise the index answers as before.
        Assert.Equal(25, LogOffsetIndex.StartOffset(Index, At(8), fileSize: 40, lastWrite: At(8.5)));
        Assert.Equal(40, LogOffsetIndex.StartOffset(Index, At(9.5), fileSize: 40, lastWrite: At(8.5)));
    }

    [Fact]
    public void Records_changes_at_most_about_once_a_second()
    {
        Assert.True(LogOffsetIndex.ShouldRecord(null, At(0), 0), "the first sample is always kept");
        var last = new LogCheckpoint(At(10), 100);
        Assert.False(LogOffsetIndex.ShouldRecord(last, At(20), 100), "unchanged size");
        Assert.False(LogOffsetIndex.ShouldRecord(last, At(10.2), 150), "too soon");
        Assert.True(LogOffsetIndex.ShouldRecord(last, At(11), 150));
        Assert.False(LogOffsetIndex.ShouldRecord(last, At(5), 150), "clock stepped back: wait until it passes the last checkpoint");
        Assert.True(LogOffsetIndex.IsTruncation(last, 50));
        Assert.False(LogOffsetIndex.IsTruncation(last, 100));
        Assert.False(LogOffsetIndex.IsTruncation(null, 0));
    }

    [Fact]
    public void Compaction_bounds_the_index_keeps_both_ends_and_only_moves_answers_earlier()
    {
        const int max = 64;
        var full = Enumerable.Range(0, 1000).Select(i => new LogCheckpoint(At(i), (i + 1) * 10L)).ToList();
        var compacted = LogOffsetIndex.Compact(full, max);

        Assert.InRange(compacted.Count, max / 4, max / 4 * 3);
        Assert.Equal(full[0], compacted[0]);
        Assert.Equal(full[^1], compacted[^1]);
        Assert.Equal(compacted.OrderBy(c => c.At).ToList(), compacted);
        // Recent output stays precise: the newest checkpoints survive one by one.
        Assert.Equal(full.TakeLast(10), compacted.TakeLast(10));
        for (var s = -1.0; s < 1001; s += 0.5)
        {
            var before = LogOffsetIndex.StartOffset(full, At(s), 10_000);
            var after = LogOffsetIndex.StartOffset(compacted, At(s), 10_000);
            Assert.True(after <= before, $"since {s}s: {after} after compaction, {before} before (must never lose output)");
        }
    }

    [Fact]
    public void Small_indexes_are_not_compacted()
    {
        var list = Index.ToList();
        Assert.Same(list, LogOffsetIndex.Compact(list, 8));
    }

    [Fact]
    public void Sidecar_text_round_trips_and_skips_torn_or_bad_lines()
    {
        var text = LogOffsetIndex.Format(Index);
        Assert.Equal(Index, LogOffsetIndex.Parse(text));

        var torn = text + "1714565000123 4"; // the agent died while appending
        Assert.Equal(Index, LogOffsetIndex.Parse(torn));

        var junk = LogOffsetIndex.Format(Index[0]) + "garbage\n" + LogOffsetIndex.Format(Index[2]) + LogOffsetIndex.Format(Index[1]);
        Assert.Equal([Index[0], Index[2]], LogOffsetIndex.Parse(junk)); // going back in time is dropped
        Assert.Empty(LogOffsetIndex.Parse(""));
    }

    [Fact]
    public void Stored_times_round_up_to_the_millisecond()
    {
        var taken = At(1).AddTicks(3); // 1 s and 300 ns
        var stored = Assert.Single(LogOffsetIndex.Parse(LogOffsetIndex.Format(new LogCheckpoint(taken, 7))));
        Assert.Equal(At(1).AddMilliseconds(1), stored.At);
        // Rounded down it would answer since=At(1)+100ns, before it was taken, and skip output written in between.
        Assert.Equal(0, LogOffsetIndex.StartOffset([stored], At(1).AddTicks(1), 7));
    }
}
