namespace Drover.Server.Security;

/// <summary>Files for operators next to the store: written whole (temp file, then rename), secrets readable by the owner only.</summary>
internal static class SecretFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, string text, bool secret)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Drover runs on Linux");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        // the mode is set when the file is created, so a secret is never readable by others, not even for a moment
        using (var f = new FileStream(tmp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = secret ? OwnerOnly : Public,
        }))
        using (var w = new StreamWriter(f))
        {
            w.Write(text);
        }
        File.SetUnixFileMode(tmp, secret ? OwnerOnly : Public); // an old temp file keeps its mode on FileMode.Create
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The store holds the join secret and the CA key: only the owner may read the data directory and the store's files.</summary>
    public static void RestrictToOwner(string dataDir, string stateFile)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Drover runs on Linux");
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            var f = stateFile + suffix;
            if (File.Exists(f)) File.SetUnixFileMode(f, OwnerOnly);
        }
    }
}
