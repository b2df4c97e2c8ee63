using Drover.Core.Apps;
using Drover.Core.Routing;

namespace Drover.Core.Validation;

/// <summary>Value rules for an app definition, with Marathon's limits.</summary>
public static class AppRules
{
    private static readonly HashSet<string> Protocols = ["tcp", "udp", "udp,tcp"];

    public static void Check(AppDefinition app, ValidationErrors e)
    {
        var hasContainer = app.Container?.Docker is not null;
        if (app.Cmd is not null && app.Args is not null)
            e.Add("/", "AppDefinition must contain either 'cmd' or 'args', not both");
        if (app.Cmd is null && app.Args is null && !hasContainer)
            e.Add("/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'");
        if (app.Cmd is not null && string.IsNullOrWhiteSpace(app.Cmd)) e.Add("/cmd", "must not be empty");
        if (app.Instances < 0) e.Add("/instances", "must be greater than or equal to 0");
        if (app.Cpus < 0) e.Add("/cpus", "must be greater than or equal to 0");
        if (app.Mem < 0) e.Add("/mem", "must be greater than or equal to 0");
        if (app.Disk < 0) e.Add("/disk", "must be greater than or equal to 0");
        if (app.Gpus < 0) e.Add("/gpus", "must be greater than or equal to 0");
        if (app.BackoffSeconds < 0) e.Add("/backoffSeconds", "must be greater than or equal to 0");
        if (app.BackoffFactor < 1) e.Add("/backoffFactor", "must be greater than or equal to 1");
        if (app.MaxLaunchDelaySeconds < 0) e.Add("/maxLaunchDelaySeconds", "must be greater than or equal to 0");
        if (app.TaskKillGracePeriodSeconds is < 0) e.Add("/taskKillGracePeriodSeconds", "must be greater than or equal to 0");
        if (app.KillSelection is not (KillSelections.YoungestFirst or KillSelections.OldestFirst))
            e.Add("/killSelection", "must be YOUNGEST_FIRST or OLDEST_FIRST");
        if (app.UpgradeStrategy.MinimumHealthCapacity is < 0 or > 1)
            e.Add("/upgradeStrategy/minimumHealthCapacity", "must be between 0 and 1");
        if (app.UpgradeStrategy.MaximumOverCapacity is < 0 or > 1)
            e.Add("/upgradeStrategy/maximumOverCapacity", "must be between 0 and 1");
        if (UnreachableKeep.Problem(app) is { } keepProblem) e.Add($"/labels/{UnreachableKeep.Label}", keepProblem);
        // Routing labels are checked at submit time so a bad value never reaches a load balancer's config.
        foreach (var p in LbLabels.Parse(app).Problems) e.Add($"/labels/{p.Label}", p.ToString());
        if (LoadBalancing.LbDrainLabels.DrainTimeoutError(app.Labels) is { } drainProblem) e.Add($"/labels/{LoadBalancing.LbDrainLabels.DrainTimeoutSeconds}", drainProblem);
        var unreachable = app.UnreachableStrategy;
        if (!unreachable.IsDisabled && (unreachable.InactiveAfterSeconds < 0 || unreachable.ExpungeAfterSeconds < unreachable.InactiveAfterSeconds))
            e.Add("/unreachableStrategy", "inactiveAfterSeconds must be ≥ 0 and ≤ expungeAfterSeconds");

        var names = new HashSet<string>();
        for (var i = 0; i < app.PortDefinitions.Count; i++)
        {
            var p = app.PortDefinitions[i];
            if (p.Port is < 0 or > 65535) e.Add($"/portDefinitions({i})/port", "must be between 0 and 65535");
            if (!Protocols.Contains(p.Protocol)) e.Add($"/portDefinitions({i})/protocol", "must be tcp, udp or udp,tcp");
            if (p.Name is not null && !names.Add(p.Name)) e.Add($"/portDefinitions({i})/name", $"port name '{p.Name}' is used more than once");
        }
        var nonZero = app.PortDefinitions.Where(p => p.Port != 0).Select(p => p.Port).ToList();
        if (nonZero.Count != nonZero.Distinct().Count()) e.Add("/portDefinitions", "ports must be unique");
        if (app.RequirePorts && app.PortDefinitions.Any(p => p.Port == 0))
            e.Add("/requirePorts", "requirePorts needs every port in portDefinitions to be set (non-zero)");

        var portCount = PortCount(app);
        for (var i = 0; i < app.HealthChecks.Count; i++)
        {
            var hc = app.HealthChecks[i];
            var path = $"/healthChecks({i})";
            if (!HealthProtocols.All.Contains(hc.Protocol))
                e.Add(path + "/protocol", $"'{hc.Protocol}' is not one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP");
            if (hc.Protocol == HealthProtocols.Command && string.IsNullOrWhiteSpace(hc.Command?.Value))
                e.Add(path + "/command", "a COMMAND health check needs command.value");
            if (hc.Protocol != HealthProtocols.Command && hc.Port is null && hc.PortIndex is { } idx && (idx < 0 || idx >= portCount))
                e.Add(path + "/portIndex", portCount == 0 ? "the app has no ports; set 'port' or add portDefinitions" : $"must be less than the number of ports ({portCount})");
            if (hc.Port is < 0 or > 65535) e.Add(path + "/port", "must be between 0 and 65535");
            if (hc.IntervalSeconds <= 0) e.Add(path + "/intervalSeconds", "must be greater than 0");
            if (hc.TimeoutSeconds <= 0) e.Add(path + "/timeoutSeconds", "must be greater than 0");
            if (hc.GracePeriodSeconds < 0) e.Add(path + "/gracePeriodSeconds", "must be greater than or equal to 0");
            if (hc.MaxConsecutiveFailures < 0) e.Add(path + "/maxConsecutiveFailures", "must be greater than or equal to 0");
        }
        for (var i = 0; i < app.ReadinessChecks.Count; i++)
        {
            var rc = app.ReadinessChecks[i];
            if (rc.Protocol is not ("HTTP" or "HTTPS")) e.Add($"/readinessChecks({i})/protocol", "must be HTTP or HTTPS");
            if (rc.TimeoutSeconds >= rc.IntervalSeconds) e.Add($"/readinessChecks({i})/timeoutSeconds", "must be less than intervalSeconds");
        }
        for (var i = 0; i < app.Dependencies.Count; i++)
        {
            foreach (var bad in PathId.InvalidSegments(app.Dependencies[i]))
                e.Add($"/dependencies({i})", $"path segment '{bad}' is invalid");
        }
        foreach (var (k, _) in app.Env)
        {
            if (k.Length == 0 || k.Contains('=') || k.Contains('\0')) e.Add($"/env/{k}", "is not a valid environment variable name");
        }
    }

    public static int PortCount(AppDefinition app) =>
        app.Container?.Docker?.Network is "BRIDGE" or "USER"
            ? (app.Container.PortMappings ?? app.Container.Docker.PortMappings)?.Count ?? 0
            : app.PortDefinitions.Count;
}
