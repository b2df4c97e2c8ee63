using System.Reflection;

namespace Drover.Core.Hosting;

/// <summary>The product version and the git commit the SDK stamped into an assembly ("0.5.0+d7a9e0a…").</summary>
public sealed record BuildVersion(string Version, string? Commit)
{
    public static BuildVersion Of(Assembly assembly)
    {
        var info = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = info.IndexOf('+');
        var commit = plus < 0 ? null : info[(plus + 1)..];
        return new BuildVersion(plus < 0 ? info : info[..plus], commit is { Length: > 0 } ? commit[..Math.Min(12, commit.Length)] : null);
    }

    /// <summary>"drover 0.5.0 (commit d7a9e0a)".</summary>
    public override string ToString() => Commit is { } c ? $"drover {Version} (commit {c})" : $"drover {Version}";
}
