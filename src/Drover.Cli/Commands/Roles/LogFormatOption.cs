using System.CommandLine;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// --log-format text|json on every role (server, agent, up, lb). With json, standard output carries only the logs,
/// one JSON object per line, for a collector to read as json_lines; the role's own human lines (listening on, join
/// with…) go to standard error instead.
/// </summary>
public sealed class LogFormatOption
{
    public Option<string> Option { get; } = new("--log-format")
    {
        Description = "Log lines as 'text' (default) or 'json': one object per line on stdout (Timestamp, LogLevel, Category, Message, Exception, State); the startup lines then go to stderr",
        DefaultValueFactory = _ => "text",
    };

    public LogFormatOption() => Option.AcceptOnlyFromAmong("text", "json");

    public void AddTo(Command command) => command.Options.Add(Option);

    public bool Json(ParseResult result) => result.GetValue(Option) == "json";

    /// <summary>Where the role's own lines go: stdout with text logs, stderr beside JSON logs.</summary>
    public TextWriter Lines(ParseResult result, CliConsole console) => Json(result) ? console.Err : console.Out;
}
