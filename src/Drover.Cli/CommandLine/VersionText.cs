using Drover.Core.Hosting;

namespace Drover.Cli.CommandLine;

/// <summary>"drover 0.5.0 (commit d7a9e0a)": the product version and the git commit the SDK stamped into the build.</summary>
public static class VersionText
{
    public static string Full() => BuildVersion.Of(typeof(VersionText).Assembly).ToString();
}
