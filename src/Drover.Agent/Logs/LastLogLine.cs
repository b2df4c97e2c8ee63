using System.Text;
using System.Text.RegularExpressions;

namespace Drover.Agent.Logs;

/// <summary>
/// The last thing a task said before it failed ("python3: can't open file '/x/app.py': [Errno 2] No such
/// file or directory"), to put into its status message where an operator sees it without fetching logs.
/// </summary>
public static partial class LastLogLine
{
    /// <summary>Longest line kept in a status message; longer ones are cut with an ellipsis.</summary>
    public const int MaxChars = 200;

    // Enough for a long error line plus some trailing blank ones; reading more of a large log is not worth it.
    private const int ReadBytes = 8 * 1024;

    /// <summary>
    /// The last non-empty line of stderr, else of stdout, cleaned up; null when both are empty or unreadable. A stream
    /// just rotated (<see cref="LogRotation"/>) has its last line in "stream.1".
    /// </summary>
    public static string? FromSandbox(string sandbox) =>
        Read(Path.Combine(sandbox, "stderr")) ?? Read(LogRotation.RotatedPath(sandbox, "stderr", 1))
        ?? Read(Path.Combine(sandbox, "stdout")) ?? Read(LogRotation.RotatedPath(sandbox, "stdout", 1));

    /// <summary>The last non-empty line of a file, trimmed, without terminal escapes, capped at <see cref="MaxChars"/>.</summary>
    public static string? Read(string path)
    {
        byte[] tail;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, file.Length - ReadBytes);
            file.Position = start;
            tail = new byte[file.Length - start];
            file.ReadExactly(tail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the message goes without the detail
        }
        return LastNonEmpty(Encoding.UTF8.GetString(tail));
    }

    /// <summary>Pure part of <see cref="Read"/>.</summary>
    public static string? LastNonEmpty(string text)
    {
        foreach (var raw in text.Split('\n').Reverse())
        {
            var line = Clean(raw);
            if (line.Length > 0) return Cap(line);
        }
        return null;
    }

    private static string Clean(string line)
    {
        // Colour codes (ESC [ ... m) would show as garbage in an API response or a terminal table.
        line = AnsiEscape().Replace(line, "");
        var sb = new StringBuilder(line.Length);
        foreach (var c in line) sb.Append(char.IsControl(c) ? ' ' : c);
        return sb.ToString().Trim();
    }

    private static string Cap(string line)
    {
        if (line.Length <= MaxChars) return line;
        var cut = MaxChars - 1;
        if (char.IsHighSurrogate(line[cut - 1])) cut--;
        return line[..cut] + "…";
    }

    [GeneratedRegex(@"\x1B\[[0-?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
