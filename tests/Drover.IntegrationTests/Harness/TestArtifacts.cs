namespace Drover.IntegrationTests.Harness;

/// <summary>
/// Files a test keeps for people to look at (screenshots): under artifacts/test-results/ in the repository, which
/// test.sh creates afresh and CI collects; DROVER_ARTIFACTS overrides the root.
/// </summary>
public static class TestArtifacts
{
    public static string Directory(string name)
    {
        var root = Environment.GetEnvironmentVariable("DROVER_ARTIFACTS") is { Length: > 0 } env ? env : Path.Combine(RepoRoot(), "artifacts", "test-results");
        return System.IO.Directory.CreateDirectory(Path.Combine(root, name)).FullName;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Drover.slnx"))) return dir.FullName;
        return Path.GetTempPath();
    }
}
