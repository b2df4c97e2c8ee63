namespace Drover.Agent.Logs;

/// <summary>
/// The sidecar file holding one log stream's <see cref="LogOffsetIndex"/> checkpoints, next to the log in the
/// sandbox (".stdout.offsets"), one "unixMs size" line each. It lives with the log, so it survives agent
/// restarts and stays readable after the task is forgotten, for as long as the sandbox is kept.
/// </summary>
public static class LogIndexFile
{
    public static string PathFor(string sandbox, string stream) => Path.Combine(sandbox, $".{stream}.offsets");

    /// <summary>The checkpoints recorded so far; none when there is no index (yet).</summary>
    public static IReadOnlyList<LogCheckpoint> Read(string path)
    {
        try
        {
            return LogOffsetIndex.Parse(File.ReadAllText(path));
        }
        catch (FileNotFoundException) { return []; }
        catch (DirectoryNotFoundException) { return []; }
    }

    public static void Append(string path, LogCheckpoint checkpoint) =>
        File.AppendAllText(path, LogOffsetIndex.Format(checkpoint));

    /// <summary>Replaces the whole index at once (rename), so a reader sees the old or the new one, never half.</summary>
    public static void Rewrite(string path, IEnumerable<LogCheckpoint> checkpoints)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, LogOffsetIndex.Format(checkpoints));
        File.Move(tmp, path, overwrite: true);
    }
}
