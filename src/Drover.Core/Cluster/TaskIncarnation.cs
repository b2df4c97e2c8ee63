using System.Globalization;

namespace Drover.Core.Cluster;

/// <summary>
/// Task ids as Marathon forms them: <c>{app}.instance-{uuid}._app.{incarnation}</c>. An agent cut off from the
/// server restarts a crashed task itself under the next incarnation of the same instance (…<c>._app.2</c>), so the
/// Marathon task JSON stays truthful (a new task with its own id and start time) and the server can tell, when the
/// agent is back, which instance the new task continues.
/// </summary>
public static class TaskIncarnation
{
    private const string Marker = "._app.";

    /// <summary>The instance part of a task id (without <c>._app.N</c>); the whole id when it has no incarnation.</summary>
    public static string InstanceOf(string taskId)
    {
        var at = MarkerAt(taskId);
        return at < 0 ? taskId : taskId[..at];
    }

    /// <summary>The incarnation number (1 for ids without one).</summary>
    public static int Of(string taskId)
    {
        var at = MarkerAt(taskId);
        return at < 0 ? 1 : int.Parse(taskId.AsSpan(at + Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>The id of the next incarnation of the same instance.</summary>
    public static string Next(string taskId) =>
        $"{InstanceOf(taskId)}{Marker}{(Of(taskId) + 1).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when <paramref name="later"/> is a later incarnation of the instance of <paramref name="earlier"/>.</summary>
    public static bool Succeeds(string later, string earlier) =>
        string.Equals(InstanceOf(later), InstanceOf(earlier), StringComparison.Ordinal) && Of(later) > Of(earlier);

    private static int MarkerAt(string taskId)
    {
        var at = taskId.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return -1;
        var digits = taskId.AsSpan(at + Marker.Length);
        if (digits.Length is 0 or > 9) return -1;
        foreach (var c in digits) if (!char.IsAsciiDigit(c)) return -1;
        return at;
    }
}
