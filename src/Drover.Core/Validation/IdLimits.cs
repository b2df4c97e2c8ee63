using System.Text.RegularExpressions;
using Drover.Core.Apps;

namespace Drover.Core.Validation;

/// <summary>
/// Limits an id inherits from the names built from it: each path segment becomes a DNS label
/// (service names are the segments reversed and joined with '-'), and the app id is the head of
/// every task id, which names the task's sandbox directory and files on its agent. An id that
/// breaks them is stored happily and then never deploys, so it is refused up front.
/// </summary>
public static partial class IdLimits
{
    /// <summary>RFC 1035: a label holds at most 63 octets.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>RFC 1035: a name in text form holds at most 253 characters (255 octets on the wire).</summary>
    public const int MaxDnsNameLength = 253;

    /// <summary>
    /// Agents refuse longer task ids: a task id (plus ".json" or ".exit") is a file name, and file
    /// names hold at most 255 bytes; the rest is room for agents' own suffixes.
    /// </summary>
    public const int MaxTaskIdLength = 200;

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex LabelRegex();

    /// <summary>An RFC 1123 host label: 1–63 letters, digits and hyphens, not starting or ending with a hyphen.</summary>
    public static bool IsDnsLabel(string s) => LabelRegex().IsMatch(s);

    /// <summary>What is wrong with a canonical app (or group) id, each message naming the limit and the actual length.</summary>
    public static IEnumerable<string> Problems(string canonicalId)
    {
        foreach (var segment in canonicalId.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment.Length > MaxLabelLength)
                yield return $"path segment '{Abbreviate(segment)}' is {segment.Length} characters; a segment becomes a DNS label, which holds at most {MaxLabelLength}";
        }
        var taskId = TaskEnvironment.NewTaskId(canonicalId).Length;
        if (taskId > MaxTaskIdLength)
            yield return $"task ids built from this id ('{Abbreviate(PathId.Safe(canonicalId))}.instance-<uuid>._app.1') would be {taskId} characters; agents accept at most {MaxTaskIdLength}, as a task id names its sandbox directory and files";
    }

    /// <summary>The head of a long name, so a message about a 5,000-character segment stays readable.</summary>
    public static string Abbreviate(string s, int max = 40) => s.Length <= max ? s : s[..max] + "...";
}
