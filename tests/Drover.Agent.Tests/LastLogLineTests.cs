using Drover.Agent.Logs;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Agent.Tests;

/// <summary>The last line a failed task wrote, as it goes into its status message.</summary>
public sealed class LastLogLineTests
{
    [Theory]
    [InlineData("starting\npython3: can't open file '/x/app.py': [Errno 2] No such file or directory\n",
        "python3: can't open file '/x/app.py': [Errno 2] No such file or directory")]
    [InlineData("error: boom\n\n  \n", "error: boom")]
    [InlineData("  indented and padded  \r\n", "indented and padded")]
    [InlineData("\u001b[31mERROR\u001b[0m disk full", "ERROR disk full")]
    [InlineData("tab\there", "tab here")]
    [InlineData("\n \n", null)]
    [InlineData("", null)]
    public void Last_non_empty_line_is_cleaned(string text, string? expected) =>
        Assert.Equal(expected, LastLogLine.LastNonEmpty(text));

    [Fact]
    public void Long_lines_are_capped()
    {
        var line = LastLogLine.LastNonEmpty(new string('x', 500) + "\n")!;
        Assert.Equal(LastLogLine.MaxChars, line.Length);
        Assert.EndsWith("…", line);
    }

    [Fact]
    public void Prefers_stderr_and_falls_back_to_stdout()
    {
        using var dir = new TestDir();
        File.WriteAllText(dir.Combine("stdout"), "out line\n");
        File.WriteAllText(dir.Combine("stderr"), "\n");
        Assert.Equal("out line", LastLogLine.FromSandbox(dir.Path));
        File.WriteAllText(dir.Combine("stderr"), "err line\n");
        Assert.Equal("err line", LastLogLine.FromSandbox(dir.Path));
        Assert.Null(LastLogLine.FromSandbox(dir.Combine("missing")));
    }

    [Fact]
    public void A_stream_emptied_by_a_rotation_is_read_from_its_dot_1_file()
    {
        using var dir = new TestDir();
        File.WriteAllText(dir.Combine("stdout"), "out line\n");
        File.WriteAllText(dir.Combine("stderr"), "");
        File.WriteAllText(dir.Combine("stderr.1"), "noise\nthe cause, just before the rotation\n");
        Assert.Equal("the cause, just before the rotation", LastLogLine.FromSandbox(dir.Path));
    }

    [Fact]
    public void Reads_only_the_end_of_a_large_log()
    {
        using var dir = new TestDir();
        File.WriteAllText(dir.Combine("stderr"), string.Concat(Enumerable.Repeat("noise noise noise\n", 100_000)) + "the real cause\n");
        Assert.Equal("the real cause", LastLogLine.FromSandbox(dir.Path));
    }
}
