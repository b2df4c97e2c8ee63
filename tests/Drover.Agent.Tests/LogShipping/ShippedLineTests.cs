using System.Text;
using System.Text.Json;
using Drover.Agent.Logs.Shipping;

namespace Drover.Agent.Tests.LogShipping;

public sealed class ShippedLineTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 30, 10, 0, 1, 234, TimeSpan.FromHours(2));

    [Fact]
    public void Is_one_json_object_on_one_line_with_exactly_the_documented_fields()
    {
        var bytes = new ShippedLine("/web", "web.abc", "host-1", "stderr", ShippedLine.FormatTime(T), "hello").ToJsonLine();
        var text = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(bytes);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["app", "task", "host", "stream", "time", "line"], names);
        Assert.Equal("/web", doc.RootElement.GetProperty("app").GetString());
        Assert.Equal("web.abc", doc.RootElement.GetProperty("task").GetString());
        Assert.Equal("host-1", doc.RootElement.GetProperty("host").GetString());
        Assert.Equal("stderr", doc.RootElement.GetProperty("stream").GetString());
        // RFC 3339 in UTC: the +02:00 moment converted
        Assert.Equal("2026-11-30T08:00:01.2340000Z", doc.RootElement.GetProperty("time").GetString());
        Assert.Equal("hello", doc.RootElement.GetProperty("line").GetString());
    }

    [Fact]
    public void Escapes_quotes_backslashes_and_control_characters_and_keeps_unicode()
    {
        const string Nasty = "say \"hi\" \\ tab\there \u001b[31mred\u001b[0m bell\u0007 é 漢 🎉";
        var bytes = new ShippedLine("/a", "t", "h", "stdout", "x", Nasty).ToJsonLine();
        var text = Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\t', text);
        Assert.Equal(1, text.Count(c => c == '\n'));
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(Nasty, doc.RootElement.GetProperty("line").GetString());
    }

    [Fact]
    public void Says_truncated_only_for_a_cut_line()
    {
        using var cut = JsonDocument.Parse(new ShippedLine("/a", "t", "h", "stdout", "x", "abc", true).ToJsonLine());
        Assert.True(cut.RootElement.GetProperty("truncated").GetBoolean());
        using var whole = JsonDocument.Parse(new ShippedLine("/a", "t", "h", "stdout", "x", "abc").ToJsonLine());
        Assert.False(whole.RootElement.TryGetProperty("truncated", out _));
    }
}
