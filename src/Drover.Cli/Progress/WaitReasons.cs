using System.Globalization;
using System.Text.RegularExpressions;
using Drover.Api.Marathon;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Cli.Progress;

/// <summary>
/// Why a deployment is waiting, in an operator's words, from what the API shows: the launch queue
/// (unplaced instances with the agents' reasons, backoff), the app's last task failure, the new
/// tasks' health and readiness results. Pure: everything comes in, including the time.
/// </summary>
public static partial class WaitReasons
{
    public static IReadOnlyList<string> For(AppInfo app, IReadOnlyList<MarathonTask> newTasks, QueueItem? queued, DateTimeOffset deploymentStart)
    {
        var reasons = new List<string>();
        if (queued is { Count: > 0 }) reasons.AddRange(Queue(app, queued));
        if (Failure(app, deploymentStart) is { } failure) reasons.Add(failure);
        if (Health(app, newTasks) is { } health) reasons.Add(health);
        if (Readiness(app, newTasks) is { } ready) reasons.Add(ready);
        var staging = newTasks.Where(t => t.State is "TASK_STAGING" or "TASK_STARTING").ToList();
        if (staging.Count > 0)
            reasons.Add($"{staging.Count} new task{Plural(staging.Count)} starting");
        return reasons;
    }

    private static IEnumerable<string> Queue(AppInfo app, QueueItem q)
    {
        if (!q.Delay.Overdue && q.Delay.TimeLeftSeconds > 0)
            yield return $"backing off after failed launches: next launch in {q.Delay.TimeLeftSeconds.ToString("0", CultureInfo.InvariantCulture)}s";
        var rejects = q.ProcessedOffersSummary?.RejectSummaryLastOffers.Where(r => r.Declined > 0).ToList() ?? [];
        var unplaced = $"{q.Count} instance{Plural(q.Count)} unplaced";
        if (rejects.Any(r => r.Reason == "NoActiveAgents"))
        {
            yield return $"waiting for agents: {unplaced} (no agent is active)";
            yield break;
        }
        if (rejects.FirstOrDefault(r => r.Reason == "NoDriver" && r.Declined >= r.Processed) is { } none)
        {
            // No agent at all can run it: the other reasons (resources on those agents) do not matter.
            yield return $"no agent can run {ContainerType(app)} tasks (no {DriverName(app)} driver on {none.Declined} agent{Plural(none.Declined)})";
            yield break;
        }
        if (rejects.Count == 0)
        {
            if (q.Delay.Overdue) yield return $"waiting for offers: {unplaced}";
            yield break;
        }
        var words = rejects.Select(r => $"{Reject(app, r.Reason)} on {r.Declined} agent{Plural(r.Declined)}");
        yield return $"waiting for offers: {unplaced} ({string.Join(", ", words)})";
    }

    private static string Reject(AppInfo app, string reason) => reason switch
    {
        "InsufficientCpus" => $"insufficient cpus ({app.Cpus.ToString("0.###", CultureInfo.InvariantCulture)} needed)",
        "InsufficientMemory" => $"insufficient mem ({app.Mem.ToString("0.#", CultureInfo.InvariantCulture)} MiB needed)",
        "InsufficientDisk" => $"insufficient disk ({app.Disk.ToString("0.#", CultureInfo.InvariantCulture)} MiB needed)",
        "InsufficientPorts" => FixedPorts(app) is { Length: > 0 } ports ? $"port {ports} taken" : "no free ports",
        "UnfulfilledConstraint" => $"constraint not met ({string.Join("; ", app.Constraints.Select(c => string.Join(' ', c)))})",
        "AgentMaintenance" => "agent in maintenance",
        "NoDriver" => $"no {DriverName(app)} driver",
        _ => reason,
    };

    /// <summary>The driver the scheduler looked for, as agents name it (<see cref="TaskDrivers"/>).</summary>
    private static string DriverName(AppInfo app) => TaskDrivers.Required(app.Container);

    private static string ContainerType(AppInfo app) => TaskDrivers.Describe(app.Container);

    private static string FixedPorts(AppInfo app) =>
        app.RequirePorts ? string.Join(",", app.PortDefinitions.Where(p => p.Port != 0).Select(p => p.Port)) : "";

    /// <summary>The last failure of a task of the new config since the deployment began: "task exited with code 1: &lt;last stderr line&gt;".</summary>
    private static string? Failure(AppInfo app, DateTimeOffset deploymentStart)
    {
        if (app.LastTaskFailure is not { } f || !MarathonTime.TryParse(f.Timestamp, out var at) || at < deploymentStart) return null;
        var config = app.VersionInfo?.LastConfigChangeAt ?? app.Version;
        if (config is not null && string.CompareOrdinal(f.Version, config) < 0) return null;
        var message = f.Message.Trim();
        if (message.StartsWith("no driver on this agent can run this task", StringComparison.Ordinal))
        {
            var kind = app.Container?.Type ?? "this task";
            var have = message.IndexOf("(drivers:", StringComparison.Ordinal) is var i and >= 0 ? " " + message[i..] : "";
            return $"no agent can run this task: no driver for {kind}{have}";
        }
        if (message.Length == 0) message = f.State.Replace("TASK_", "", StringComparison.Ordinal).ToLowerInvariant();
        return message.StartsWith("exited", StringComparison.Ordinal) || message.StartsWith("killed", StringComparison.Ordinal)
            ? $"task {message}" : $"task failed: {message}";
    }

    /// <summary>The worst failing health check among the new running tasks, or the wait for the first result.</summary>
    private static string? Health(AppInfo app, IReadOnlyList<MarathonTask> newTasks)
    {
        if (app.HealthChecks.Count == 0) return null;
        var running = newTasks.Where(t => t.State == "TASK_RUNNING").ToList();
        var failing = running.SelectMany(t => t.HealthCheckResults ?? []).Where(r => !r.Alive && r.LastFailureCause is not null)
            .OrderByDescending(r => r.ConsecutiveFailures).FirstOrDefault();
        if (failing is not null)
        {
            var times = failing.ConsecutiveFailures >= 2 ? $" ({failing.ConsecutiveFailures} in a row)" : "";
            return $"health check failed: {Cause(failing.LastFailureCause!)}{times}";
        }
        var unknown = running.Where(t => t.HealthCheckResults is not { Count: > 0 }).ToList();
        if (unknown.Count == 0) return null;
        var grace = app.HealthChecks.Max(h => h.GracePeriodSeconds);
        return $"waiting for the first health check of {unknown.Count} new task{Plural(unknown.Count)} (grace period {grace}s)";
    }

    /// <summary>"HTTP 404 Not Found from http://127.0.0.1:31005/nope" → "HTTP 404 on /nope"; other causes as they are.</summary>
    public static string Cause(string cause)
    {
        var m = HttpCause().Match(cause);
        if (m.Success && Uri.TryCreate(m.Groups["uri"].Value, UriKind.Absolute, out var uri))
            return $"HTTP {m.Groups["code"].Value} on {uri.PathAndQuery}";
        return cause.Length > 200 ? cause[..200] + "…" : cause;
    }

    private static string? Readiness(AppInfo app, IReadOnlyList<MarathonTask> newTasks)
    {
        if (app.ReadinessChecks.Count == 0 || app.ReadinessCheckResults is not { Count: > 0 } results) return null;
        var ids = newTasks.Where(t => t.State == "TASK_RUNNING").Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        var notReady = results.Where(r => !r.Ready && ids.Contains(r.TaskId)).ToList();
        if (notReady.Count == 0) return null;
        var first = notReady[0];
        var status = first.LastResponse is { } last ? $": HTTP {last.Status}" : "";
        return $"readiness check '{first.Name}' not ready on {notReady.Count} new task{Plural(notReady.Count)}{status}";
    }

    private static string Plural(int n) => n == 1 ? "" : "s";

    [GeneratedRegex(@"^HTTP (?<code>\d{3})\b.*? from (?<uri>\S+)$")]
    private static partial Regex HttpCause();
}
