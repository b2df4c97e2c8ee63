using Drover.Api.Marathon;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Output;

/// <summary>
/// Short task ids for people, as docker ps shows container ids: the instance's uuid cut to the
/// shortest prefix (at least 8 characters) that no other listed task shares. Commands that take a
/// task id accept the full id, the short id, or any unique prefix of either.
/// </summary>
public static class TaskNames
{
    public const int MinimumLength = 8;

    /// <summary>"cli_echo.instance-3f2a9c1b-…._app.1" → "3f2a9c1b-…": the part that tells instances apart.</summary>
    public static string Distinct(string taskId)
    {
        var i = taskId.IndexOf(".instance-", StringComparison.Ordinal);
        if (i >= 0) return taskId[(i + ".instance-".Length)..];
        var dot = taskId.IndexOf('.');
        return dot >= 0 && dot < taskId.Length - 1 ? taskId[(dot + 1)..] : taskId;
    }

    /// <summary>A short, unique name for every task id in <paramref name="taskIds"/>.</summary>
    public static IReadOnlyDictionary<string, string> Shorten(IEnumerable<string> taskIds)
    {
        var ids = taskIds.Distinct(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var tail = Distinct(id);
            var others = ids.Where(o => o != id).Select(Distinct).ToList();
            var length = Math.Min(MinimumLength, tail.Length);
            while (length < tail.Length && others.Any(o => o.StartsWith(tail[..length], StringComparison.Ordinal))) length++;
            result[id] = others.Any(o => o.StartsWith(tail[..length], StringComparison.Ordinal)) ? id : tail[..length];
        }
        return result;
    }

    /// <summary>The task <paramref name="input"/> names among <paramref name="tasks"/>: exact id, or a unique prefix of the id or of its short form.</summary>
    public static MarathonTask? Resolve(string input, IReadOnlyList<MarathonTask> tasks)
    {
        var exact = tasks.FirstOrDefault(t => t.Id == input);
        if (exact is not null) return exact;
        var matches = tasks.Where(t => t.Id.StartsWith(input, StringComparison.Ordinal) || Distinct(t.Id).StartsWith(input, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new CliException($"task id '{input}' is ambiguous: it matches {matches.Count} tasks ({string.Join(", ", matches.Take(3).Select(t => t.Id))}{(matches.Count > 3 ? ", …" : "")}); give more characters"),
        };
    }
}
