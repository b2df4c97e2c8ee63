namespace Drover.Scheduling;

/// <summary>
/// An app's launch delay after failed tasks (what <c>/v2/queue</c> shows as <c>delay</c>).
/// <paramref name="Version"/> is the app version the failures belong to; a new version starts clean.
/// </summary>
public sealed record LaunchBackoff(int Failures, double DelaySeconds, DateTimeOffset NextLaunchAt, string? Version)
{
    public bool IsActive(DateTimeOffset now) => NextLaunchAt > now;

    public TimeSpan Remaining(DateTimeOffset now) => NextLaunchAt > now ? NextLaunchAt - now : TimeSpan.Zero;
}
