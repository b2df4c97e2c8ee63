using Drover.Core.Resources;
using System.Globalization;
using Drover.Agent.Docker;
using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Agent.Drivers.Docker;

/// <summary>What the container spec needs besides the task: where its sandbox is, who owns it, the agent's settings.</summary>
public sealed record ContainerSpecContext
{
    /// <summary>The task's sandbox on the host, mounted at <see cref="DockerContainerSpec.SandboxMount"/>.</summary>
    public required string Sandbox { get; init; }
    /// <summary>Value of the <see cref="DockerContainerSpec.AgentLabel"/> label: which agent owns the container.</summary>
    public required string AgentKey { get; init; }
    /// <summary>Resolvers for the container (Drover's DNS when containers can reach it); empty = Docker's default.</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];
    /// <summary>Hard CPU limit (CFS quota) for every task, instead of shares (agent option).</summary>
    public bool CpuHardLimit { get; init; }
}

/// <summary>
/// The Docker create body for a task, from Marathon's app JSON as Mesos' Docker containerizer reads it: a pure
/// function, so every rule here is unit-tested without a daemon. Throws <see cref="TaskLaunchException"/> naming
/// what cannot be run (persistent volumes, unknown docker parameters).
/// </summary>
public static class DockerContainerSpec
{
    /// <summary>Where the sandbox appears inside the container, as in Mesos (MESOS_SANDBOX).</summary>
    public const string SandboxMount = "/mnt/mesos/sandbox";

    public const string TaskLabel = "drover.task-id";
    public const string AppLabel = "drover.app-id";
    public const string VersionLabel = "drover.app-version";
    public const string AgentLabel = "drover.agent";

    /// <summary>Docker's CLI flags (container.docker.parameters) Drover translates, as `docker run --KEY VALUE`.</summary>
    public static readonly IReadOnlyList<string> SupportedParameters =
        ["add-host", "cap-add", "cap-drop", "dns", "dns-search", "entrypoint", "env", "hostname", "init", "label", "read-only", "tmpfs", "user", "workdir"];

    public static ContainerCreateBody Build(TaskSpec spec, ContainerSpecContext ctx)
    {
        var docker = spec.Container?.Docker ?? throw new TaskLaunchException("the task has no container.docker.image");
        if (string.IsNullOrWhiteSpace(docker.Image)) throw new TaskLaunchException("container.docker.image is empty");

        var env = new Dictionary<string, string>(spec.Env, StringComparer.Ordinal)
        {
            ["MESOS_SANDBOX"] = SandboxMount,
            ["DROVER_SANDBOX"] = SandboxMount,
        };
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var p = new Parameters();
        foreach (var param in docker.Parameters) p.Apply(param, env, labels);
        // Drover's own labels last: a parameter cannot take a container away from its task or agent.
        labels[TaskLabel] = spec.TaskId;
        labels[AppLabel] = spec.AppId;
        labels[VersionLabel] = spec.Version;
        labels[AgentLabel] = ctx.AgentKey;

        var (mode, ports, exposed) = Network(spec, docker);
        var memory = spec.MemMb > 0 ? (long)Math.Round(spec.MemMb * 1024 * 1024) : 0;
        var cpu = CpuLimits.For(spec, ctx.CpuHardLimit);
        var (entrypoint, cmd) = Command(spec, p.Entrypoint);
        foreach (var (k, value) in env)
        {
            if (k.Length == 0 || k.Contains('=') || k.Contains('\0') || value.Contains('\0'))
                throw new TaskLaunchException($"invalid environment variable name or value: '{k}'");
        }
        return new ContainerCreateBody
        {
            Image = docker.Image.Trim(),
            Entrypoint = entrypoint,
            Cmd = cmd,
            Env = [.. env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")],
            Labels = labels,
            ExposedPorts = exposed,
            Hostname = p.Hostname,
            User = p.User,
            WorkingDir = p.WorkDir,
            AttachStdout = true,
            AttachStderr = true,
            HostConfig = new HostConfig
            {
                NetworkMode = mode,
                PortBindings = ports,
                Binds = Binds(spec, ctx.Sandbox),
                // No swap, so the memory limit is the limit (Mesos sets the same hard limit).
                Memory = memory,
                MemorySwap = memory,
                // Shares by default, as Mesos (without cgroups_enable_cfs) and Nomad (without cpu_hard_limit) do:
                // a small cpus value weighs the task, it does not throttle it when the host is idle.
                CpuShares = cpu.Any ? cpu.Shares : 0,
                NanoCpus = cpu.QuotaMicros is { } quota ? quota * 1_000_000_000 / CpuLimits.PeriodMicros : 0,
                Privileged = docker.Privileged,
                Dns = p.Dns.Count > 0 ? p.Dns : ctx.Dns.Count > 0 ? ctx.Dns : null,
                DnsSearch = p.DnsSearch.Count > 0 ? p.DnsSearch : null,
                ExtraHosts = p.ExtraHosts.Count > 0 ? p.ExtraHosts : null,
                CapAdd = p.CapAdd.Count > 0 ? p.CapAdd : null,
                CapDrop = p.CapDrop.Count > 0 ? p.CapDrop : null,
                ReadonlyRootfs = p.ReadOnly,
                Init = p.Init,
                Tmpfs = p.Tmpfs.Count > 0 ? p.Tmpfs : null,
            },
        };
    }

    /// <summary>
    /// Mesos' rule: a <c>cmd</c> runs under <c>/bin/sh -c</c> in place of the image's entrypoint; <c>args</c> go to
    /// the image's entrypoint; neither runs the image as it is.
    /// </summary>
    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) Command(TaskSpec spec, string? entrypoint)
    {
        if (!string.IsNullOrWhiteSpace(spec.Cmd)) return (["/bin/sh", "-c"], [spec.Cmd]);
        var ep = entrypoint is null ? null : (IReadOnlyList<string>)[entrypoint];
        return (ep, spec.Args is { Count: > 0 } args ? args : null);
    }

    public enum NetworkKind { Host, Bridge, User, None }

    /// <summary>docker.network when set (Marathon ≤1.4), else the app's networks (1.5+), else HOST as Marathon defaults.</summary>
    public static (NetworkKind Kind, string? Name) NetworkOf(TaskSpec spec)
    {
        var network = spec.Container?.Docker?.Network;
        if (!string.IsNullOrWhiteSpace(network))
        {
            return network.ToUpperInvariant() switch
            {
                "HOST" => (NetworkKind.Host, null),
                "BRIDGE" => (NetworkKind.Bridge, null),
                "NONE" => (NetworkKind.None, null),
                "USER" => (NetworkKind.User, spec.Networks?.FirstOrDefault(n => n.Name is { Length: > 0 })?.Name),
                _ => throw new TaskLaunchException($"container.docker.network '{network}' is not one of HOST, BRIDGE, USER, NONE"),
            };
        }
        foreach (var n in spec.Networks ?? [])
        {
            if (string.Equals(n.Mode, "container/bridge", StringComparison.OrdinalIgnoreCase)) return (NetworkKind.Bridge, null);
            if (string.Equals(n.Mode, "container", StringComparison.OrdinalIgnoreCase)) return (NetworkKind.User, n.Name);
        }
        return (NetworkKind.Host, null);
    }

    private static (string Mode, Dictionary<string, IReadOnlyList<PortBinding>>? Ports, Dictionary<string, EmptyObject>? Exposed) Network(
        TaskSpec spec, DockerSpec docker)
    {
        var (kind, name) = NetworkOf(spec);
        switch (kind)
        {
            case NetworkKind.Host: return ("host", null, null); // the task binds $PORT0… itself
            case NetworkKind.None: return ("none", null, null);
            case NetworkKind.User when string.IsNullOrWhiteSpace(name):
                throw new TaskLaunchException("USER networking needs a network name (networks: [{\"mode\": \"container\", \"name\": \"...\"}])");
        }
        var bridge = kind == NetworkKind.Bridge;
        var mappings = spec.Container?.PortMappings ?? docker.PortMappings
            ?? (bridge ? [new PortMapping { ContainerPort = 0, HostPort = 0, Name = "default" }] : []);
        var ports = new Dictionary<string, IReadOnlyList<PortBinding>>(StringComparer.Ordinal);
        var exposed = new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
        var slot = 0;
        foreach (var m in mappings)
        {
            // Host ports were reserved in mapping order (AppPorts.HostPorts): every mapping on BRIDGE, those naming one on USER.
            int? hostPort = null;
            if (bridge || m.HostPort is not null)
            {
                if (slot >= spec.Ports.Count) throw new TaskLaunchException($"port mapping {slot} has no host port assigned (the task got {spec.Ports.Count})");
                hostPort = spec.Ports[slot++];
            }
            var containerPort = m.ContainerPort != 0 ? m.ContainerPort : hostPort
                ?? throw new TaskLaunchException("a port mapping without a host port needs a containerPort");
            foreach (var protocol in Protocols(m.Protocol))
            {
                var key = $"{containerPort.ToString(CultureInfo.InvariantCulture)}/{protocol}";
                exposed[key] = new EmptyObject();
                if (hostPort is { } hp)
                {
                    var binding = new PortBinding { HostPort = hp.ToString(CultureInfo.InvariantCulture) };
                    ports[key] = ports.TryGetValue(key, out var existing) ? [.. existing, binding] : [binding];
                }
            }
        }
        return (bridge ? "bridge" : name!, ports, exposed);
    }

    private static IEnumerable<string> Protocols(string? protocol)
    {
        var list = (protocol ?? "tcp").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0) return ["tcp"];
        foreach (var p in list)
        {
            if (p is not ("tcp" or "udp" or "sctp")) throw new TaskLaunchException($"port mapping protocol '{protocol}' is not tcp, udp or udp,tcp");
        }
        return list;
    }

    /// <summary>The sandbox, then container.volumes: hostPath:containerPath:mode, a relative hostPath inside the sandbox (as Mesos does).</summary>
    private static List<string> Binds(TaskSpec spec, string sandbox)
    {
        var binds = new List<string> { $"{sandbox}:{SandboxMount}:rw" };
        foreach (var v in spec.Container?.Volumes ?? [])
        {
            if (string.IsNullOrWhiteSpace(v.ContainerPath)) throw new TaskLaunchException("a volume needs a containerPath");
            if (string.IsNullOrWhiteSpace(v.HostPath))
                throw new TaskLaunchException($"volume {v.ContainerPath}: only hostPath volumes are supported (not persistent or external ones)");
            var mode = v.Mode?.ToUpperInvariant() switch
            {
                "RO" => "ro",
                "RW" or null or "" => "rw",
                _ => throw new TaskLaunchException($"volume {v.ContainerPath}: mode '{v.Mode}' is not RO or RW"),
            };
            var host = Path.IsPathRooted(v.HostPath) ? v.HostPath : Path.GetFullPath(Path.Combine(sandbox, v.HostPath));
            if (!host.StartsWith('/') || host.Contains(':') || v.ContainerPath.Contains(':'))
                throw new TaskLaunchException($"volume {v.ContainerPath}: paths must be absolute and must not contain ':'");
            binds.Add($"{host}:{v.ContainerPath}:{mode}");
        }
        return binds;
    }

    /// <summary>docker.parameters as `docker run` would read them.</summary>
    private sealed class Parameters
    {
        public string? Entrypoint, Hostname, User, WorkDir;
        public bool ReadOnly;
        public bool? Init;
        public readonly List<string> Dns = [], DnsSearch = [], ExtraHosts = [], CapAdd = [], CapDrop = [];
        public readonly Dictionary<string, string> Tmpfs = new(StringComparer.Ordinal);

        public void Apply(DockerParameter p, Dictionary<string, string> env, Dictionary<string, string> labels)
        {
            var key = p.Key.Trim().TrimStart('-');
            var value = p.Value ?? "";
            switch (key)
            {
                case "env" or "e":
                    var eq = value.IndexOf('=');
                    if (eq <= 0) throw Bad(key, value, "KEY=VALUE");
                    env[value[..eq]] = value[(eq + 1)..];
                    break;
                case "label" or "l":
                    var le = value.IndexOf('=');
                    if (le == 0) throw Bad(key, value, "key=value");
                    labels[le < 0 ? value : value[..le]] = le < 0 ? "" : value[(le + 1)..];
                    break;
                case "hostname" or "h": Hostname = value; break;
                case "user" or "u": User = value; break;
                case "workdir" or "w": WorkDir = value; break;
                case "entrypoint": Entrypoint = value; break;
                case "dns": Dns.Add(value); break;
                case "dns-search": DnsSearch.Add(value); break;
                case "add-host": ExtraHosts.Add(value); break;
                case "cap-add": CapAdd.Add(value); break;
                case "cap-drop": CapDrop.Add(value); break;
                case "read-only": ReadOnly = Bool(key, value); break;
                case "init": Init = Bool(key, value); break;
                case "tmpfs":
                    var colon = value.IndexOf(':');
                    Tmpfs[colon < 0 ? value : value[..colon]] = colon < 0 ? "" : value[(colon + 1)..];
                    break;
                default:
                    throw new TaskLaunchException($"docker parameter '{p.Key}' is not supported (supported: {string.Join(", ", SupportedParameters)})");
            }
        }

        private static bool Bool(string key, string value) =>
            value.Length == 0 || bool.TryParse(value, out var b) && b ? true
            : bool.TryParse(value, out _) ? false
            : throw Bad(key, value, "true or false");

        private static TaskLaunchException Bad(string key, string value, string expected) =>
            new($"docker parameter '{key}': '{value}' is not {expected}");
    }
}
