using Drover.Api.Logs;

namespace Drover.Agent.Tests;

/// <summary>The tail and since query parameters, as both the agent and the server parse them.</summary>
public sealed class LogQueryTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, null)]
    [InlineData("all", null)]
    [InlineData("ALL", null)]
    [InlineData("0", 0)]
    [InlineData("100", 100)]
    [InlineData("99999999999999999999", null)] // more lines than any file: all of it
    public void Tail_accepts_line_counts_and_all(string? text, int? expected)
    {
        Assert.True(LogQuery.TryParseTail(text, out var lines, out var error), error);
        Assert.Equal(expected, lines);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData(" 3")]
    public void Tail_rejects_anything_else_naming_the_parameter(string text)
    {
        Assert.False(LogQuery.TryParseTail(text, out _, out var error));
        Assert.StartsWith("tail must be", error);
        Assert.Contains($"'{text}'", error);
    }

    [Theory]
    [InlineData("2024-05-01T11:00:00Z", "2024-05-01T11:00:00.000Z")]
    [InlineData("2024-05-01T11:00:00.250Z", "2024-05-01T11:00:00.250Z")]
    [InlineData("2024-05-01T13:00:00+02:00", "2024-05-01T11:00:00.000Z")]
    [InlineData("2024-05-01T11:00:00.123456789Z", "2024-05-01T11:00:00.1234567Z")] // Go's RFC3339Nano, cut to .NET's 100 ns
    [InlineData("2024-05-01T11:00:00", "2024-05-01T11:00:00.000Z")] // no offset: UTC
    [InlineData("2024-05-01", "2024-05-01T00:00:00.000Z")]
    [InlineData("1714561200", "2024-05-01T11:00:00.000Z")] // unix seconds
    [InlineData("1714561200.5", "2024-05-01T11:00:00.500Z")]
    [InlineData("1714561200250", "2024-05-01T11:00:00.250Z")] // unix milliseconds
    [InlineData("0", "1970-01-01T00:00:00.000Z")]
    [InlineData("10m", "2024-05-01T11:50:00.000Z")] // durations count back from now
    [InlineData("1h30m", "2024-05-01T10:30:00.000Z")]
    [InlineData("90s", "2024-05-01T11:58:30.000Z")]
    public void Since_accepts_timestamps_unix_times_and_durations(string text, string expected)
    {
        Assert.True(LogQuery.TryParseSince(text, Now, out var since, out var error), error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), since);
    }

    [Fact]
    public void Absent_since_means_no_limit()
    {
        Assert.True(LogQuery.TryParseSince(null, Now, out var since, out _));
        Assert.Null(since);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("10 minutes")]
    [InlineData("5/1/2024")]
    [InlineData("2024-13-45T00:00:00Z")]
    [InlineData("10x")]
    public void Since_rejects_anything_else_naming_the_parameter(string text)
    {
        Assert.False(LogQuery.TryParseSince(text, Now, out _, out var error));
        Assert.StartsWith("since must be", error);
        Assert.Contains($"'{text}'", error);
    }

    [Fact]
    public void A_negative_duration_is_refused()
    {
        Assert.False(LogQuery.TryParseSince("-10m", Now, out _, out var error));
        Assert.Contains("negative", error);
    }
}
