namespace Drover.Cli.Progress;

/// <summary>Where one app of a running deployment stands, and why it is not done yet.</summary>
public sealed record AppProgress
{
    public required string AppId { get; init; }
    /// <summary>Marathon's action: StartApplication, RestartApplication, ScaleApplication, StopApplication.</summary>
    public required string Action { get; init; }
    /// <summary>Instances the app should end with (0 for a stop).</summary>
    public int Target { get; init; }
    /// <summary>Tasks of the new config that are running / healthy (or running, without health checks) and ready.</summary>
    public int NewRunning { get; init; }
    public int NewHealthy { get; init; }
    public bool HasHealthChecks { get; init; }
    /// <summary>Tasks of an older config still running.</summary>
    public int OldLeft { get; init; }
    /// <summary>Why the deployment waits, straight from the tasks, the queue and the last failure; empty when nothing is wrong.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    public string Verb => Action switch
    {
        "StartApplication" => "start",
        "RestartApplication" => "restart",
        "ScaleApplication" => "scale",
        "StopApplication" => "stop",
        _ => Action,
    };

    /// <summary>"restart /hello: new 1/3 healthy (2 running), old 2 left".</summary>
    public string Summary()
    {
        if (Action == "StopApplication") return $"{Verb} {AppId}: {OldLeft + NewRunning} task{(OldLeft + NewRunning == 1 ? "" : "s")} left";
        var state = HasHealthChecks ? $"new {NewHealthy}/{Target} healthy ({NewRunning} running)" : $"new {NewRunning}/{Target} running";
        return $"{Verb} {AppId}: {state}, old {OldLeft} left";
    }
}

/// <summary>One look at a deployment: its step and the progress of the apps in it.</summary>
public sealed record DeploymentProgress(string DeploymentId, int Step, int TotalSteps, IReadOnlyList<AppProgress> Apps, TimeSpan Elapsed)
{
    /// <summary>Step and counts: a change here is always worth a new plain line.</summary>
    public string Counts() => $"{Step}/{TotalSteps}|" + string.Join("|", Apps.Select(a => a.Summary()));

    /// <summary>The reasons without their numbers ("3 in a row", "next launch in 2s"), which move on every look.</summary>
    public string ReasonKinds() => string.Join("|", Apps.SelectMany(a => a.Reasons).Select(r => System.Text.RegularExpressions.Regex.Replace(r, "[0-9]+", "#")));
}

/// <summary>How the wait for a deployment ended.</summary>
public enum FollowOutcome { Succeeded, Failed, TimedOut }

public sealed record FollowResult(FollowOutcome Outcome, string DeploymentId, string Version, string? Reason, TimeSpan Elapsed);
