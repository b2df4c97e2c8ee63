using System.Reflection;

namespace Drover.Cli.CommandLine;

/// <summary>"drover 0.5.0 (commit d7a9e0a)": the product version and the git commit the SDK stamped into the build.</summary>
public static class VersionText
{
    public static string Full()
    {
        var info = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = info.IndexOf('+');
        var version = plus < 0 ? info : info[..plus];
        var commit = plus < 0 ? null : info[(plus + 1)..];
        return commit is { Length: > 0 } ? $"drover {version} (commit {commit[..Math.Min(12, commit.Length)]})" : $"drover {version}";
    }
}
