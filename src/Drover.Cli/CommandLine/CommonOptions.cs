using System.CommandLine;
using System.CommandLine.Parsing;
using Drover.Cli.Progress;
using Drover.Core.Json;

namespace Drover.Cli.CommandLine;

/// <summary>--no-wait and --timeout, for every command that starts a deployment.</summary>
public sealed class WaitOptions
{
    public Option<bool> NoWait { get; } = new("--no-wait")
    {
        Description = "Return as soon as the server accepted the change instead of following the deployment",
    };

    public Option<TimeSpan?> Timeout { get; } = new("--timeout")
    {
        Description = "Stop waiting after this long (e.g. 90s, 5m) with exit 1 and the reason; the deployment goes on",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(NoWait);
        command.Options.Add(Timeout);
    }

    public WaitSettings Read(ParseResult result) => new(!result.GetValue(NoWait), result.GetValue(Timeout));
}

/// <summary>Value parsers with messages that name the option and say what is expected.</summary>
public static class ValueParsers
{
    public static TimeSpan? Duration(ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (Durations.TryParse(text, out var d, bareSeconds: true) && d > TimeSpan.Zero) return d;
        r.AddError($"{Name(r)} expects a duration like 90s, 500ms or 5m, not '{text}'");
        return null;
    }

    public static int NonNegativeInt(ArgumentResult r, string what)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
        r.AddError($"{what} must be a whole number ≥ 0, not '{text}'");
        return 0;
    }

    /// <summary>"--timeout" for an option's value, "&lt;N&gt;" for an argument.</summary>
    public static string Name(ArgumentResult r) => r.Parent is OptionResult o ? o.IdentifierToken?.Value ?? o.Option.Name : $"<{r.Argument.Name}>";
}
