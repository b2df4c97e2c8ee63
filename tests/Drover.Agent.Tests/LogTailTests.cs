using System.Text;
using Drover.Agent.Logs;

namespace Drover.Agent.Tests;

/// <summary>Finding the last N lines by reading backwards.</summary>
public sealed class LogTailTests
{
    private static async Task<string> Tail(string text, int lines, int floor = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var stream = new MemoryStream(bytes);
        var start = await LogTail.StartOfLastLinesAsync(stream, floor, bytes.Length, lines, CancellationToken.None);
        return Encoding.UTF8.GetString(bytes, (int)start, bytes.Length - (int)start);
    }

    [Theory]
    [InlineData("a\nb\nc\n", 1, "c\n")]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc\n", 3, "a\nb\nc\n")]
    [InlineData("a\nb\nc\n", 10, "a\nb\nc\n")]
    [InlineData("a\nb\nc\n", 0, "")]
    [InlineData("a\nb\nc", 1, "c")]          // a final line without its newline counts
    [InlineData("a\nb\nc", 2, "b\nc")]
    [InlineData("a\n\n\n", 2, "\n\n")]       // empty lines are lines
    [InlineData("", 5, "")]
    [InlineData("\n", 1, "\n")]
    [InlineData("héllo\nwörld\n", 1, "wörld\n")]
    public async Task Returns_the_last_lines(string text, int lines, string expected) =>
        Assert.Equal(expected, await Tail(text, lines));

    [Fact]
    public async Task Never_goes_before_the_floor()
    {
        Assert.Equal("b\nc\n", await Tail("a\nb\nc\n", 10, floor: 2));
        Assert.Equal("c\n", await Tail("a\nb\nc\n", 1, floor: 2));
        Assert.Equal("\nc\n", await Tail("a\nb\nc\n", 10, floor: 3)); // a floor mid-line starts there
    }

    [Fact]
    public async Task Reads_large_files_across_block_boundaries()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 20_000; i++) sb.Append("line ").Append(i).Append(' ', i % 7).Append('\n');
        var tail = await Tail(sb.ToString(), 5000);
        var lines = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5000, lines.Length);
        Assert.StartsWith("line 15000", lines[0]);
        Assert.StartsWith("line 19999", lines[^1]);
    }
}
