using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>The acknowledged-positions file: written atomically, at most every second, read back; a bad file is a fresh start.</summary>
public sealed class LogShipRegistryTests : IDisposable
{
    private readonly TestDir _dir = new();
    private string FilePath => _dir.Combine(LogShipRegistry.FileName);

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 20_000)]
    public async Task Writes_acknowledged_positions_once_a_second_not_per_ack_and_once_more_at_shutdown()
    {
        var time = new ManualTimeProvider();
        var registry = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        Assert.False(registry.Resumes);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => registry.RunAsync(time, stop.Token));
        await Eventually.True(() => time.ActiveTimers == 1, "the save loop waits for its first tick");

        registry.Acknowledge([new ShipPosition("t1", "stdout", 10, 0)]);
        registry.Acknowledge([new ShipPosition("t1", "stdout", 20, 0), new ShipPosition("t1", "stdout", 35, 2), new ShipPosition("t2", ShipPosition.Docker, 1_700_000_000_123_456_789)]);
        time.Advance(LogShipRegistry.SavePeriod - TimeSpan.FromMilliseconds(1));
        Assert.False(File.Exists(FilePath)); // nothing per acknowledgement
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.True(() => File.Exists(FilePath), "written at the first tick");
        Assert.False(File.Exists(FilePath + ".tmp")); // renamed into place, never left behind

        var read = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        Assert.True(read.Resumes);
        Assert.Equal(new ShipPosition("t1", "stdout", 35, 2), read.Find("t1", "stdout"));
        Assert.Equal(1_700_000_000_123_456_789, read.Find("t2", ShipPosition.Docker)?.Offset);
        Assert.Null(read.Find("t1", "stderr"));

        // acknowledged after the last tick: written when the loop stops (the agent's shutdown)
        registry.Acknowledge([new ShipPosition("t1", "stdout", 50, 2)]);
        await stop.CancelAsync();
        await run;
        Assert.Equal(50, LogShipRegistry.Load(FilePath, NullLogger.Instance).Find("t1", "stdout")?.Offset);
    }

    [Fact]
    public void A_missing_file_is_a_fresh_start_and_is_written_so_a_restart_knows_shipping_was_on()
    {
        using var logs = new LogCapture();
        var registry = LogShipRegistry.Load(FilePath, logs.Factory().CreateLogger("t"));
        Assert.Empty(registry.Positions);
        Assert.False(registry.Resumes);
        Assert.Single(logs.Events(5007));
        registry.SaveIfChanged();
        var again = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        Assert.True(again.Resumes);
        Assert.Empty(again.Positions);
    }

    [Theory]
    [InlineData("{\"positions\":[{\"task\":\"t1\",\"str")] // cut off mid-write (no rename)
    [InlineData("not json at all")]
    [InlineData("{\"positions\":{\"task\":\"t1\"}}")] // wrong type
    [InlineData("")]
    public void A_corrupt_file_is_a_fresh_start_with_a_warning_naming_it_then_rewritten(string content)
    {
        File.WriteAllText(FilePath, content);
        using var logs = new LogCapture();
        var registry = LogShipRegistry.Load(FilePath, logs.Factory().CreateLogger("t"));
        Assert.Empty(registry.Positions);
        Assert.False(registry.Resumes);
        var warning = Assert.Single(logs.Events(5005));
        Assert.Contains(FilePath, warning.Text, StringComparison.Ordinal);

        registry.Acknowledge([new ShipPosition("t1", "stdout", 7)]);
        registry.SaveIfChanged();
        Assert.Equal(7, LogShipRegistry.Load(FilePath, NullLogger.Instance).Find("t1", "stdout")?.Offset);
    }

    [Fact]
    public void Entries_with_negative_offsets_or_no_task_are_skipped_the_rest_kept()
    {
        File.WriteAllText(FilePath, """
            {"positions":[{"task":"","stream":"stdout","offset":1,"generation":0},{"task":"a","stream":"stdout","offset":-5,"generation":0},{"task":"b","stream":"stderr","offset":9,"generation":1}]}
            """);
        var registry = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        Assert.Equal([new ShipPosition("b", "stderr", 9, 1)], registry.Positions);
    }

    [Fact]
    public void Tasks_the_agent_no_longer_has_are_dropped()
    {
        var registry = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        registry.Acknowledge([new ShipPosition("gone", "stdout", 1), new ShipPosition("gone", ShipPosition.Docker, 2), new ShipPosition("kept", "stderr", 3)]);
        registry.RetainTasks(new HashSet<string> { "kept" });
        Assert.Equal([new ShipPosition("kept", "stderr", 3)], registry.Positions);
        registry.SaveIfChanged();
        Assert.Equal([new ShipPosition("kept", "stderr", 3)], LogShipRegistry.Load(FilePath, NullLogger.Instance).Positions);
    }

    [Fact]
    public void A_failed_write_keeps_the_old_file_and_is_tried_again()
    {
        var registry = LogShipRegistry.Load(FilePath, NullLogger.Instance);
        registry.Acknowledge([new ShipPosition("t", "stdout", 1)]);
        registry.SaveIfChanged();
        registry.Acknowledge([new ShipPosition("t", "stdout", 2)]);
        Directory.CreateDirectory(FilePath + ".tmp"); // the temp file cannot be made
        registry.SaveIfChanged();
        Assert.Equal(1, LogShipRegistry.Load(FilePath, NullLogger.Instance).Find("t", "stdout")?.Offset);
        Directory.Delete(FilePath + ".tmp");
        registry.SaveIfChanged();
        Assert.Equal(2, LogShipRegistry.Load(FilePath, NullLogger.Instance).Find("t", "stdout")?.Offset);
    }
}
