using System.Globalization;
using System.Text.RegularExpressions;

namespace Drover.Lb.Host;

/// <summary>
/// The master's line of "show proc" on the master CLI (HAProxy 2.6): "PID master RELOADS [failed: N] UPTIME VERSION".
/// HAProxy 2.6's "reload" answers nothing, so a reload is seen to have happened when RELOADS moves, and to have
/// failed when "failed" moves.
/// </summary>
public sealed partial record MasterProc(int Pid, int Reloads, int Failed, int Workers)
{
    [GeneratedRegex(@"^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]", RegexOptions.Multiline)]
    private static partial Regex MasterLine();

    [GeneratedRegex(@"^\d+\s+worker\s", RegexOptions.Multiline)]
    private static partial Regex WorkerLine();

    public static MasterProc? Parse(string text)
    {
        var m = MasterLine().Match(text);
        if (!m.Success) return null;
        static int I(Group g) => int.Parse(g.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return new MasterProc(I(m.Groups[1]), I(m.Groups[2]), I(m.Groups[3]), WorkerLine().Matches(text).Count);
    }
}
