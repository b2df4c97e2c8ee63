using Spectre.Console;

namespace Drover.Cli.CommandLine;

/// <summary>
/// Where a command writes, and what kind of terminal that is. Live views and colours only on a
/// terminal; plain lines otherwise, so pipes and logs stay greppable.
/// </summary>
public sealed class CliConsole
{
    public CliConsole(TextWriter @out, TextWriter err, bool isTerminal, int width, bool color)
    {
        Out = @out;
        Err = err;
        IsTerminal = isTerminal;
        Width = width;
        Color = color;
    }

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    /// <summary>Standard output is an interactive terminal.</summary>
    public bool IsTerminal { get; }
    /// <summary>Columns available (a large number when not a terminal: never truncate for pipes).</summary>
    public int Width { get; }
    public bool Color { get; }

    /// <summary>The process's console: a terminal when stdout is not redirected and TERM is not "dumb"; NO_COLOR turns colour off.</summary>
    public static CliConsole FromProcess()
    {
        var term = Environment.GetEnvironmentVariable("TERM");
        var isTerminal = !Console.IsOutputRedirected && term is not (null or "" or "dumb");
        var width = 200;
        if (isTerminal)
        {
            try { width = Console.WindowWidth > 0 ? Console.WindowWidth : 80; }
            catch (IOException) { width = 80; }
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0) width = columns;
        var color = isTerminal && Environment.GetEnvironmentVariable("NO_COLOR") is null or "";
        return new CliConsole(Console.Out, Console.Error, isTerminal, isTerminal ? width : int.MaxValue / 4, color);
    }

    /// <summary>A Spectre console on <see cref="Out"/> with this console's capabilities.</summary>
    public IAnsiConsole Spectre() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Out),
        Ansi = IsTerminal ? AnsiSupport.Yes : AnsiSupport.No,
        ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
    });

    /// <summary>Text in an ANSI colour on a colour terminal, plain otherwise.</summary>
    public string Paint(string text, int ansiColor) => Color ? $"\u001b[{ansiColor}m{text}\u001b[0m" : text;
}
