namespace Drover.Agent.Stats;

/// <summary>Bytes of the files under a task's sandbox, as `du --apparent-size` counts them (symbolic links not followed).</summary>
public static class SandboxSize
{
    public static ulong Measure(string dir)
    {
        ulong total = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        try
        {
            foreach (var file in new DirectoryInfo(dir).EnumerateFiles("*", options))
            {
                try { total += (ulong)file.Length; }
                catch (IOException) { } // deleted while we counted
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return total;
    }
}
