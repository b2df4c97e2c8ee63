namespace Drover.Core.Hosting;

/// <summary>Another process (usually a second `drover up`) holds the data directory's lock.</summary>
public sealed class DataDirLockedException(string directory, int? holderPid, Exception? inner = null)
    : IOException(MessageFor(directory, holderPid), inner)
{
    public string Directory { get; } = directory;
    /// <summary>The pid the holder wrote into the lock file; null when it could not be read (e.g. it is still writing it).</summary>
    public int? HolderPid { get; } = holderPid;

    private static string MessageFor(string directory, int? pid) =>
        $"data directory {directory} is in use by another drover process" + (pid is { } p ? $" (pid {p})" : "");
}
