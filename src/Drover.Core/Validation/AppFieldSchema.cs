using System.Text.Json;

namespace Drover.Core.Validation;

/// <summary>
/// The field names Marathon accepts in an app definition (compat.md §1.2, Marathon's RAML up to
/// 1.10), including the read-only fields of its responses, because clients GET an app, change it
/// and send it back. Drover ignores fields it does not use, as Marathon ignores unknown ones; this
/// schema is how the API and the CLI tell the user about a field nobody will read (a typo, most
/// likely) instead of dropping it silently.
/// </summary>
public static class AppFieldSchema
{
    private static readonly FieldSet PortMapping = FieldSet.Of(
        "containerPort", "hostPort", "servicePort", "protocol", "name", "labels", "networkNames");

    private static readonly FieldSet Docker = FieldSet.Of(
            "image", "network", "privileged", "forcePullImage", "pullConfig", "credential")
        .WithArray("portMappings", PortMapping)
        .WithArray("parameters", FieldSet.Of("key", "value"));

    private static readonly FieldSet Volume = FieldSet.Of("containerPath", "hostPath", "mode", "secret")
        .WithObject("persistent", FieldSet.Of("type", "size", "maxSize", "profileName", "constraints"))
        .WithObject("external", FieldSet.Of("name", "provider", "size", "options", "shared"));

    private static readonly FieldSet Container = FieldSet.Of("type", "linuxInfo")
        .WithObject("docker", Docker)
        .WithObject("appc", FieldSet.Of("image", "id", "labels", "forcePullImage"))
        .WithArray("volumes", Volume)
        .WithArray("portMappings", PortMapping);

    private static readonly FieldSet HealthCheck = FieldSet.Of(
            "protocol", "path", "portIndex", "port", "gracePeriodSeconds", "intervalSeconds", "timeoutSeconds",
            "maxConsecutiveFailures", "ignoreHttp1xx", "delaySeconds", "ipProtocol")
        .WithObject("command", FieldSet.Of("value"));

    private static readonly FieldSet ReadinessCheck = FieldSet.Of(
        "name", "protocol", "path", "portName", "intervalSeconds", "timeoutSeconds", "httpStatusCodesForReady",
        "preserveLastResponse");

    private static readonly FieldSet IpAddress = FieldSet.Of("groups", "labels", "networkName")
        .WithObject("discovery", FieldSet.Of().WithArray("ports", FieldSet.Of("number", "name", "protocol", "labels")));

    internal static readonly FieldSet App = FieldSet.Of(
            // what Drover reads
            "id", "cmd", "args", "user", "env", "instances", "cpus", "mem", "disk", "gpus", "executor", "constraints",
            "uris", "storeUrls", "ports", "requirePorts", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds",
            "dependencies", "labels", "acceptedResourceRoles", "secrets", "taskKillGracePeriodSeconds", "killSelection",
            // Marathon fields Drover accepts without using them
            "role", "tty", "executorResources", "resourceLimits", "check", "taskRateLimit",
            // read-only fields of Marathon's responses
            "version", "versionInfo", "tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy", "deployments",
            "tasks", "lastTaskFailure", "readinessCheckResults", "taskStats", "tasksStats")
        .WithObject("container", Container)
        .WithArray("portDefinitions", FieldSet.Of("port", "protocol", "name", "labels"))
        .WithArray("healthChecks", HealthCheck)
        .WithArray("readinessChecks", ReadinessCheck)
        .WithArray("fetch", FieldSet.Of("uri", "extract", "executable", "cache", "destPath"))
        .WithArray("networks", FieldSet.Of("mode", "name", "labels"))
        .WithObject("upgradeStrategy", FieldSet.Of("minimumHealthCapacity", "maximumOverCapacity"))
        .WithObject("unreachableStrategy", FieldSet.Of(
            "inactiveAfterSeconds", "expungeAfterSeconds", "unreachableInactiveAfterSeconds", "unreachableExpungeAfterSeconds"))
        .WithObject("residency", FieldSet.Of("relaunchEscalationTimeoutSeconds", "taskLostBehavior"))
        .WithObject("ipAddress", IpAddress);

    /// <summary>The known top-level field names, in the order suggestions prefer them.</summary>
    public static IReadOnlyList<string> TopLevelFields => App.Names;

    /// <summary>Every field of <paramref name="app"/> (at any depth) that an app definition does not have; empty for a non-object.</summary>
    public static IReadOnlyList<UnknownField> FindUnknown(JsonElement app) => App.FindUnknown(app);
}
