using System.Text.RegularExpressions;

namespace Drover.IntegrationTests.Harness;

/// <summary>
/// Runs the drover CLI on a pseudo-terminal (util-linux `script`), as an operator at a terminal
/// would: live views, colours and short ids switch on. Output comes back with the ANSI escapes
/// removed.
/// </summary>
public static partial class Terminal
{
    public static async Task<ProcessResult> RunCliAsync(TimeSpan timeout, int columns, params string[] args)
    {
        var command = string.Join(' ', new[] { DroverProcess.DotnetPath, DroverProcess.CliDllPath }.Concat(args).Select(Quote));
        var r = await ProcessRunner.RunAsync("script", ["-qfec", command, "/dev/null"], timeout, new Dictionary<string, string?>
        {
            ["TERM"] = "xterm-256color",
            ["COLUMNS"] = columns.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LINES"] = "40",
            ["NO_COLOR"] = null,
        });
        return r with { Stdout = Plain(r.Stdout) };
    }

    /// <summary>The text without ANSI escape sequences and carriage returns.</summary>
    public static string Plain(string s) => Ansi().Replace(s, "").Replace("\r", "");

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Z0-9]|[=>])")]
    private static partial Regex Ansi();
}
