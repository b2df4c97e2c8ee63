namespace Drover.Lb.Host;

public enum ReloadResult
{
    /// <summary>The new config is in effect.</summary>
    Reloaded,
    /// <summary>"haproxy -c" refused it: the old file and the running config are untouched.</summary>
    Invalid,
    /// <summary>HAProxy refused to load it after all (the old worker keeps serving).</summary>
    Failed,
    /// <summary>No sign of the reload within the timeout; the next update tries again.</summary>
    TimedOut,
}

/// <summary>What became of one config update; <see cref="Error"/> says why when it did not take effect.</summary>
public sealed record ReloadOutcome(ReloadResult Result, string? Error = null)
{
    public static readonly ReloadOutcome Ok = new(ReloadResult.Reloaded);
    public bool Succeeded => Result == ReloadResult.Reloaded;
}
