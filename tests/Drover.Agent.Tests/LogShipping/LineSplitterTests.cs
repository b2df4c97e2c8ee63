using System.Text;
using Drover.Agent.Logs.Shipping;

namespace Drover.Agent.Tests.LogShipping;

public sealed class LineSplitterTests
{
    private static List<SplitLine> Feed(LineSplitter s, string text) => s.Feed(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Joins_a_line_split_across_reads_and_strips_newline_and_cr()
    {
        var s = new LineSplitter();
        Assert.Empty(Feed(s, "hel"));
        Assert.True(s.HasPartial);
        var lines = Feed(s, "lo\r\nworld\n\nnext");
        Assert.Equal([new SplitLine("hello", false), new SplitLine("world", false), new SplitLine("", false)], lines);
        Assert.Equal(new SplitLine("next", false), s.Flush());
        Assert.Null(s.Flush());
    }

    [Fact]
    public void Cuts_a_long_line_at_the_cap_says_so_and_skips_its_rest()
    {
        var s = new LineSplitter(maxLineBytes: 8);
        var lines = Feed(s, "0123456789abc");
        Assert.Equal([new SplitLine("01234567", true)], lines);
        Assert.Empty(Feed(s, "def"));
        lines = Feed(s, "ghi\nshort\n");
        Assert.Equal([new SplitLine("short", false)], lines);
        Assert.Equal(16 * 1024, LineSplitter.DefaultMaxLineBytes);
    }

    [Fact]
    public void Replaces_invalid_utf8_so_the_json_stays_valid()
    {
        var s = new LineSplitter();
        var lines = s.Feed([(byte)'a', 0xff, 0xfe, (byte)'b', 0xc3, (byte)'\n', 0xc3, 0xa9, (byte)'\n']);
        Assert.Equal(2, lines.Count);
        Assert.Equal("a\uFFFD\uFFFDb\uFFFD", lines[0].Text);
        Assert.Equal("é", lines[1].Text);
    }

    [Fact]
    public void Reset_forgets_a_partial_line()
    {
        var s = new LineSplitter();
        Feed(s, "half of a line");
        s.Reset();
        Assert.Equal([new SplitLine("new", false)], Feed(s, "new\n"));
    }
}
