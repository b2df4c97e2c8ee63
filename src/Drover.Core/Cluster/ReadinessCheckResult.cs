namespace Drover.Core.Cluster;

/// <summary>Marathon's readiness check result: <c>{"name","taskId","ready","lastResponse"}</c>.</summary>
public sealed record ReadinessCheckResult
{
    public required string Name { get; init; }
    public required string TaskId { get; init; }
    public bool Ready { get; init; }
    /// <summary>The last HTTP response, kept only when the check has preserveLastResponse.</summary>
    public ReadinessLastResponse? LastResponse { get; init; }
}

/// <summary>Marathon's <c>lastResponse</c> of a readiness check (the body may be truncated).</summary>
public sealed record ReadinessLastResponse
{
    public int Status { get; init; }
    public string ContentType { get; init; } = "";
    public string Body { get; init; } = "";
}

public static class ReadinessResults
{
    /// <summary>
    /// The results to keep after a report: the reported ones, except that a check once ready stays ready
    /// (agents stop checking a ready task, and a restarted agent starts over without knowing it was ready).
    /// </summary>
    public static IReadOnlyList<ReadinessCheckResult> Merge(IReadOnlyList<ReadinessCheckResult> stored, IReadOnlyList<ReadinessCheckResult> reported)
    {
        List<ReadinessCheckResult>? merged = null;
        foreach (var s in stored)
        {
            if (!s.Ready) continue;
            var i = IndexOf(merged ?? reported, s.Name);
            if (i >= 0 && (merged ?? reported)[i].Ready) continue;
            merged ??= [.. reported];
            if (i >= 0) merged[i] = s;
            else merged.Add(s);
        }
        return merged ?? reported;
    }

    /// <summary>True when there is a ready result for each of <paramref name="checks"/> checks.</summary>
    public static bool AllReady(IReadOnlyList<ReadinessCheckResult> results, int checks)
    {
        if (results.Count < checks) return false;
        foreach (var r in results)
        {
            if (!r.Ready) return false;
        }
        return true;
    }

    private static int IndexOf(IReadOnlyList<ReadinessCheckResult> list, string name)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i].Name, name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
