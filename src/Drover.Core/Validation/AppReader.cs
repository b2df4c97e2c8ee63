using System.Text.Json;
using Drover.Core.Apps;

namespace Drover.Core.Validation;

/// <summary>
/// Reads a Marathon app definition from JSON, filling Marathon's documented defaults and
/// recording every type or value error with its path. Read-only response fields are ignored.
/// </summary>
public static class AppReader
{
    /// <param name="constraintCheck">Returns an error for an invalid constraint (the scheduler owns their semantics), or null.</param>
    public static AppDefinition? Read(JsonElement json, string? idOverride, ValidationErrors errors,
        Func<IReadOnlyList<string>, string?>? constraintCheck = null, string baseGroup = "/")
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add("/", $"expected an app object, got {JsonFields.Describe(json)}");
            return null;
        }
        var f = new JsonFields(json, "", errors);
        var rawId = idOverride ?? f.String("id");
        string id = "/";
        if (string.IsNullOrWhiteSpace(rawId)) errors.Add("/id", "is required");
        else
        {
            id = PathId.Canonical(rawId, baseGroup);
            if (id == "/") errors.Add("/id", "must not be the root group");
            foreach (var bad in PathId.InvalidSegments(id))
                errors.Add("/id", $"path segment '{IdLimits.Abbreviate(bad)}' is invalid: use lowercase letters, digits, hyphens and dots, not starting or ending with a hyphen");
            foreach (var problem in IdLimits.Problems(id)) errors.Add("/id", problem);
        }

        var app = new AppDefinition
        {
            Id = id,
            Cmd = f.String("cmd"),
            Args = f.StringList("args") is { Count: > 0 } args ? args : null,
            User = f.String("user"),
            Env = f.StringMap("env", allowSecretRefs: true) ?? Empty.Strings,
            Instances = f.Int("instances", 1),
            Cpus = f.Number("cpus", 1.0),
            Mem = f.Number("mem", 128.0),
            Disk = f.Number("disk", 0),
            Gpus = f.Int("gpus", 0),
            Executor = f.String("executor") ?? "",
            Constraints = ReadConstraints(f, constraintCheck),
            StoreUrls = f.StringList("storeUrls") ?? [],
            RequirePorts = f.Bool("requirePorts", false),
            BackoffSeconds = f.Number("backoffSeconds", 1),
            BackoffFactor = f.Number("backoffFactor", 1.15),
            MaxLaunchDelaySeconds = f.Number("maxLaunchDelaySeconds", 3600),
            Container = ReadContainer(f),
            HealthChecks = f.Objects("healthChecks").Select(ReadHealthCheck).ToList(),
            ReadinessChecks = f.Objects("readinessChecks").Select(ReadReadinessCheck).ToList(),
            Dependencies = (f.StringList("dependencies") ?? []).Select(d => PathId.Canonical(d, PathId.Parent(id))).ToList(),
            UpgradeStrategy = ReadUpgradeStrategy(f),
            Labels = f.StringMap("labels") ?? Empty.Strings,
            AcceptedResourceRoles = f.StringList("acceptedResourceRoles") is { Count: > 0 } roles ? roles : null,
            Networks = f.Objects("networks").Select(n => new NetworkSpec
            {
                Mode = n.String("mode") ?? "host",
                Name = n.String("name"),
                Labels = n.StringMap("labels"),
            }).ToList() is { Count: > 0 } nets ? nets : null,
            TaskKillGracePeriodSeconds = f.IntOrNull("taskKillGracePeriodSeconds"),
            UnreachableStrategy = ReadUnreachableStrategy(f),
            KillSelection = f.String("killSelection") ?? KillSelections.YoungestFirst,
        };

        var (fetch, uris) = ReadFetch(f);
        var portDefs = ReadPortDefinitions(f, app.Container);
        app = app with
        {
            Fetch = fetch,
            Uris = uris,
            PortDefinitions = portDefs,
            Ports = portDefs.Select(p => p.Port).ToList(),
        };
        AppRules.Check(app, errors);
        return app;
    }

    private static IReadOnlyList<IReadOnlyList<string>> ReadConstraints(JsonFields f, Func<IReadOnlyList<string>, string?>? check)
    {
        if (!f.TryGet("constraints", out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Array) { f.Errors.Add("/constraints", $"expected an array, got {JsonFields.Describe(v)}"); return []; }
        var result = new List<IReadOnlyList<string>>();
        var i = 0;
        foreach (var c in v.EnumerateArray())
        {
            var path = $"/constraints({i++})";
            if (c.ValueKind != JsonValueKind.Array || c.GetArrayLength() is < 2 or > 3 || c.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                f.Errors.Add(path, "each constraint must be an array of 2 or 3 strings: [field, operator, value?]");
                continue;
            }
            var parts = c.EnumerateArray().Select(e => e.GetString()!).ToList();
            if (check?.Invoke(parts) is { } error) f.Errors.Add(path, error);
            result.Add(parts);
        }
        return result;
    }

    private static (IReadOnlyList<FetchUri>, IReadOnlyList<string>) ReadFetch(JsonFields f)
    {
        var fetch = f.Objects("fetch").Select(o =>
        {
            var uri = o.String("uri");
            if (string.IsNullOrWhiteSpace(uri)) o.Errors.Add(o.Child("uri"), "is required");
            return new FetchUri
            {
                Uri = uri ?? "",
                Extract = o.Bool("extract", true),
                Executable = o.Bool("executable", false),
                Cache = o.Bool("cache", false),
                DestPath = o.String("destPath"),
            };
        }).ToList();
        var uris = f.StringList("uris") ?? [];
        if (fetch.Count == 0 && uris.Count > 0)
            fetch = uris.Select(u => new FetchUri { Uri = u, Extract = LooksLikeArchive(u) }).ToList();
        return (fetch, fetch.Select(x => x.Uri).ToList());
    }

    private static bool LooksLikeArchive(string uri) =>
        uri.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || uri.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase)
        || uri.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || uri.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    private static IReadOnlyList<PortDefinition> ReadPortDefinitions(JsonFields f, ContainerSpec? container)
    {
        var bridged = container?.Docker?.Network is "BRIDGE" or "USER";
        if (f.TryGet("portDefinitions", out var pd) && pd.ValueKind != JsonValueKind.Null)
        {
            return f.Objects("portDefinitions").Select(o => new PortDefinition
            {
                Port = o.Int("port", 0),
                Protocol = o.String("protocol") ?? "tcp",
                Name = o.String("name"),
                Labels = o.StringMap("labels") ?? Empty.Strings,
            }).ToList();
        }
        if (f.IntList("ports") is { } ports)
            return ports.Select(p => new PortDefinition { Port = p }).ToList();
        // Marathon: no portDefinitions on create = one dynamic port (host networking only).
        return bridged ? [] : [new PortDefinition { Port = 0, Name = "default" }];
    }

    private static HealthCheckDefinition ReadHealthCheck(JsonFields o)
    {
        var protocol = (o.String("protocol") ?? HealthProtocols.Http).ToUpperInvariant();
        CommandSpec? command = null;
        if (o.TryGet("command", out var cmd) && cmd.ValueKind != JsonValueKind.Null)
        {
            if (cmd.ValueKind == JsonValueKind.String) command = new CommandSpec { Value = cmd.GetString()! };
            else if (o.Object("command") is { } co && co.String("value") is { } value) command = new CommandSpec { Value = value };
            else o.Errors.Add(o.Child("command"), "expected {\"value\": \"<shell command>\"}");
        }
        var isMesos = protocol.StartsWith("MESOS_", StringComparison.Ordinal) || protocol == HealthProtocols.Command;
        var isHttp = protocol is HealthProtocols.Http or HealthProtocols.Https or HealthProtocols.MesosHttp or HealthProtocols.MesosHttps;
        var port = o.IntOrNull("port");
        var portIndex = o.IntOrNull("portIndex");
        return new HealthCheckDefinition
        {
            Protocol = protocol,
            Path = isHttp ? o.String("path") ?? "/" : null,
            Port = port,
            PortIndex = protocol == HealthProtocols.Command ? null : port is null ? portIndex ?? 0 : null,
            Command = command,
            GracePeriodSeconds = o.Int("gracePeriodSeconds", 300),
            IntervalSeconds = o.Int("intervalSeconds", 60),
            TimeoutSeconds = o.Int("timeoutSeconds", 20),
            MaxConsecutiveFailures = o.Int("maxConsecutiveFailures", 3),
            IgnoreHttp1xx = isHttp && !protocol.StartsWith("MESOS_", StringComparison.Ordinal) ? o.Bool("ignoreHttp1xx", false) : null,
            DelaySeconds = isMesos ? o.Int("delaySeconds", 15) : null,
        };
    }

    private static ReadinessCheckDefinition ReadReadinessCheck(JsonFields o) => new()
    {
        Name = o.String("name") ?? "readinessCheck",
        Protocol = (o.String("protocol") ?? "HTTP").ToUpperInvariant(),
        Path = o.String("path") ?? "/",
        PortName = o.String("portName") ?? "http-api",
        IntervalSeconds = o.Int("intervalSeconds", 30),
        TimeoutSeconds = o.Int("timeoutSeconds", 10),
        HttpStatusCodesForReady = o.IntList("httpStatusCodesForReady") ?? [200],
        PreserveLastResponse = o.Bool("preserveLastResponse", false),
    };

    private static UpgradeStrategy ReadUpgradeStrategy(JsonFields f)
    {
        if (f.Object("upgradeStrategy") is not { } u) return UpgradeStrategy.Default;
        return new UpgradeStrategy
        {
            MinimumHealthCapacity = u.Number("minimumHealthCapacity", 1.0),
            MaximumOverCapacity = u.Number("maximumOverCapacity", 1.0),
        };
    }

    private static UnreachableStrategy ReadUnreachableStrategy(JsonFields f)
    {
        if (!f.TryGet("unreachableStrategy", out var v) || v.ValueKind == JsonValueKind.Null) return UnreachableStrategy.Default;
        if (v.ValueKind == JsonValueKind.String)
        {
            if (v.GetString() == "disabled")
                return UnreachableStrategy.Disabled;
            f.Errors.Add("/unreachableStrategy", "must be \"disabled\" or {\"inactiveAfterSeconds\", \"expungeAfterSeconds\"}");
            return UnreachableStrategy.Default;
        }
        if (f.Object("unreachableStrategy") is not { } u) return UnreachableStrategy.Default;
        return new UnreachableStrategy
        {
            InactiveAfterSeconds = u.Number("inactiveAfterSeconds", 0),
            ExpungeAfterSeconds = u.Number("expungeAfterSeconds", 0),
        };
    }

    private static ContainerSpec? ReadContainer(JsonFields f)
    {
        if (f.Object("container") is not { } c) return null;
        var docker = c.Object("docker") is { } d
            ? new DockerSpec
            {
                Image = d.String("image") ?? "",
                Network = d.String("network")?.ToUpperInvariant(),
                PortMappings = ReadPortMappings(d),
                Parameters = d.Objects("parameters").Select(p => new DockerParameter { Key = p.String("key") ?? "", Value = p.String("value") ?? "" }).ToList(),
                Privileged = d.Bool("privileged", false),
                ForcePullImage = d.Bool("forcePullImage", false),
            }
            : null;
        var type = (c.String("type") ?? "DOCKER").ToUpperInvariant();
        if (type is not ("DOCKER" or "MESOS")) c.Errors.Add(c.Child("type"), "must be DOCKER or MESOS");
        if (type == "DOCKER" && string.IsNullOrWhiteSpace(docker?.Image)) c.Errors.Add(c.Child("docker") + "/image", "is required for a DOCKER container");
        return new ContainerSpec
        {
            Type = type,
            Docker = docker,
            Volumes = c.Objects("volumes").Select(v => new VolumeSpec
            {
                ContainerPath = v.String("containerPath") ?? "",
                HostPath = v.String("hostPath"),
                Mode = (v.String("mode") ?? "RW").ToUpperInvariant(),
            }).ToList(),
            PortMappings = ReadPortMappings(c),
        };
    }

    private static IReadOnlyList<PortMapping>? ReadPortMappings(JsonFields o)
    {
        var list = o.Objects("portMappings").Select(p => new PortMapping
        {
            ContainerPort = p.Int("containerPort", 0),
            HostPort = p.IntOrNull("hostPort"),
            ServicePort = p.Int("servicePort", 0),
            Protocol = p.String("protocol") ?? "tcp",
            Name = p.String("name"),
            Labels = p.StringMap("labels"),
        }).ToList();
        return list.Count > 0 ? list : null;
    }
}
