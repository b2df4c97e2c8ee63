namespace Drover.IntegrationTests.Harness;

/// <summary>A fresh directory under the system temp dir, deleted (recursively) on dispose.</summary>
/// <remarks>Set DROVER_KEEP_TEMP=1 to keep the directories for a post-mortem.</remarks>
public sealed class TempDir : IDisposable
{
    private static readonly bool Keep = Environment.GetEnvironmentVariable("DROVER_KEEP_TEMP") == "1";

    public TempDir(string prefix = "drover-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drover-tests", $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Path of a child (not created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates and returns a subdirectory.</summary>
    public string CreateSubdirectory(string name) => Directory.CreateDirectory(Combine(name)).FullName;

    public override string ToString() => Path;

    public static implicit operator string(TempDir dir) => dir.Path;

    public void Dispose()
    {
        if (Keep || !Directory.Exists(Path)) return;
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process we could not stop may still hold files; leaving a temp dir behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
