namespace Drover.Cli.CommandLine;

/// <summary>The exit codes of every command (scripts rely on them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The server refused, something failed, a wait timed out.</summary>
    public const int Failed = 1;
    /// <summary>The command line itself is wrong.</summary>
    public const int Usage = 2;
}

/// <summary>A failure reported as one line on stderr, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>A command line that cannot run as given: one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
