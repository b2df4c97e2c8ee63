using System.CommandLine;
using Drover.Agent;
using Drover.Agent.Logs;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Roles;

/// <summary>The options of the agent role (drover agent, and the agent half of drover up).</summary>
public sealed class AgentRoleOptions
{
    /// <param name="listenName">--listen for drover agent; --agent-listen for drover up (where --listen is the server's).</param>
    public AgentRoleOptions(string listenName)
    {
        Listen = new Option<string>(listenName)
        {
            Description = "Address of the agent's own HTTP endpoint (logs, stats; the server calls it); port 0 picks a free one",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => "127.0.0.1:0",
        };
    }

    public Option<string> Listen { get; }

    public Option<string> Hostname { get; } = new("--hostname")
    {
        Description = "Name of this host for constraints (hostname UNIQUE) and the catalog",
        HelpName = "NAME",
        DefaultValueFactory = _ => Environment.MachineName,
    };

    public Option<string?> Advertise { get; } = new("--advertise")
    {
        Description = "Address other hosts, DNS and the server use for this agent and its tasks (a name is resolved) [default: the listen address, or --hostname when listening on all]",
        HelpName = "HOST",
    };

    public Option<string[]> Attributes { get; } = new("--attr")
    {
        Description = "Attribute for constraints, e.g. rack=r1 (repeatable)",
        HelpName = "KEY=VALUE",
    };

    public Option<double?> Cpus { get; } = new("--cpus") { Description = "CPUs offered to tasks [default: detected]", HelpName = "N" };
    public Option<double?> Mem { get; } = new("--mem") { Description = "Memory offered to tasks, MiB [default: detected]", HelpName = "MIB" };
    public Option<double?> Disk { get; } = new("--disk") { Description = "Disk offered to tasks, MiB [default: detected]", HelpName = "MIB" };

    public Option<string> Ports { get; } = new("--ports")
    {
        Description = "Host port ranges handed to tasks",
        HelpName = "RANGES",
        DefaultValueFactory = _ => AgentOptions.DefaultPorts,
    };

    public Option<bool> CpuHardLimit { get; } = new("--cpu-hard-limit")
    {
        Description = "Cap each task at its cpus with a CFS quota; without it cpus is a proportional share (as Mesos and Nomad), so idle CPU is not wasted. Apps can ask for the cap with label DROVER_CPU_HARD_LIMIT=true",
    };

    public Option<string> DockerSocket { get; } = new("--docker-socket")
    {
        Description = "Docker daemon socket; when Docker answers there at start the agent runs DOCKER apps ('none': never)",
        HelpName = "PATH",
        DefaultValueFactory = _ => AgentOptions.DefaultDockerSocket,
    };

    public Option<string> LogMaxSize { get; } = new("--log-max-size")
    {
        Description = "Rotate a task's stdout/stderr file when it reaches this size (k, m, g: KiB, MiB, GiB), as Docker's max-size",
        HelpName = "SIZE",
        DefaultValueFactory = _ => "10m",
    };

    public Option<int> LogMaxFiles { get; } = new("--log-max-files")
    {
        Description = "Log files kept per task stream, the current one included; the oldest is dropped, as Docker's max-file",
        HelpName = "N",
        DefaultValueFactory = _ => LogRotationPolicy.DefaultMaxFiles,
    };

    public Option<string?> LogShip { get; } = new("--log-ship")
    {
        Description = "Ship every task's stdout and stderr lines as JSON lines (app, task, host, stream, time, line) to a collector: tcp://HOST:PORT (Logstash/Vector/Fluent Bit json_lines), tls://HOST:PORT (the same inside TLS) or http(s)://HOST:PORT/path (POSTed as application/x-ndjson)",
        HelpName = "URL",
    };

    public Option<int> LogShipBuffer { get; } = new("--log-ship-buffer")
    {
        Description = "Log lines held for the collector while it is slow or down; when full, new lines are dropped (not shipped, still in the sandbox) and counted in drover_agent_log_lines_dropped_total, as Docker's non-blocking mode",
        HelpName = "LINES",
        DefaultValueFactory = _ => Agent.Logs.Shipping.LogShipBuffer.DefaultCapacity,
    };

    public Option<string[]> LogShipHeader { get; } = new("--log-ship-header")
    {
        Description = "HTTP header sent with every POST to an http(s):// --log-ship collector, e.g. 'Authorization: Bearer TOKEN' (repeatable)",
        HelpName = "'NAME: VALUE'",
    };

    public Option<string?> LogShipCaFile { get; } = new("--log-ship-ca-file")
    {
        Description = "PEM file of the CA(s) to trust for a tls:// or https:// --log-ship collector (a private CA), instead of the system's roots",
        HelpName = "PEM",
    };

    public Option<string?> LogShipCertFile { get; } = new("--log-ship-cert-file")
    {
        Description = "PEM certificate the agent presents to a tls:// or https:// --log-ship collector that requires client certificates (with --log-ship-key-file)",
        HelpName = "PEM",
    };

    public Option<string?> LogShipKeyFile { get; } = new("--log-ship-key-file")
    {
        Description = "PEM private key of --log-ship-cert-file",
        HelpName = "PEM",
    };

    public Option<TimeSpan?> StatsInterval { get; } = new("--stats-interval")
    {
        Description = "How often the host and every task are sampled into the stats history the dashboard charts (100ms to 60s), as cAdvisor's housekeeping interval [default: 10s]",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public Option<TimeSpan?> StatsHistory { get; } = new("--stats-history")
    {
        Description = "How far back the stats history goes, kept in memory per task and host (about 200 bytes a sample: 70 KiB a task at the defaults) [default: 1h]",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Listen);
        command.Options.Add(Hostname);
        command.Options.Add(Advertise);
        command.Options.Add(Attributes);
        command.Options.Add(Cpus);
        command.Options.Add(Mem);
        command.Options.Add(Disk);
        command.Options.Add(Ports);
        command.Options.Add(CpuHardLimit);
        command.Options.Add(DockerSocket);
        command.Options.Add(LogMaxSize);
        command.Options.Add(LogMaxFiles);
        command.Options.Add(LogShip);
        command.Options.Add(LogShipBuffer);
        command.Options.Add(LogShipHeader);
        command.Options.Add(LogShipCaFile);
        command.Options.Add(LogShipCertFile);
        command.Options.Add(LogShipKeyFile);
        command.Options.Add(StatsInterval);
        command.Options.Add(StatsHistory);
    }

    public AgentOptions Read(ParseResult result, string serverUrl, string dataDir, string? token)
    {
        var attrs = new Dictionary<string, string>();
        foreach (var a in result.GetValue(Attributes) ?? [])
        {
            var eq = a.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--attr expects key=value, got '{a}'");
            attrs[a[..eq]] = a[(eq + 1)..];
        }
        var maxSize = result.GetValue(LogMaxSize)!;
        if (!ByteSizes.TryParse(maxSize, out var logMaxSize))
            throw new UsageException($"--log-max-size expects a size like 10m, 512k or 1g, not '{maxSize}'");
        var defaults = new AgentOptions { ServerUrl = serverUrl, DataDir = dataDir };
        var options = new AgentOptions
        {
            LogMaxSize = logMaxSize,
            LogMaxFiles = result.GetValue(LogMaxFiles),
            LogShip = result.GetValue(LogShip),
            LogShipBuffer = result.GetValue(LogShipBuffer),
            LogShipHeaders = result.GetValue(LogShipHeader) ?? [],
            LogShipCaFile = result.GetValue(LogShipCaFile) is { } caFile ? Path.GetFullPath(caFile) : null,
            LogShipCertFile = result.GetValue(LogShipCertFile) is { } certFile ? Path.GetFullPath(certFile) : null,
            LogShipKeyFile = result.GetValue(LogShipKeyFile) is { } keyFile ? Path.GetFullPath(keyFile) : null,
            StatsInterval = result.GetValue(StatsInterval) ?? defaults.StatsInterval,
            StatsRetention = result.GetValue(StatsHistory) ?? defaults.StatsRetention,
            ServerUrl = serverUrl,
            Token = token,
            DataDir = Path.GetFullPath(dataDir),
            Hostname = result.GetValue(Hostname)!,
            Listen = result.GetValue(Listen)!,
            AdvertiseHost = result.GetValue(Advertise),
            Attributes = attrs,
            Cpus = result.GetValue(Cpus),
            MemMb = result.GetValue(Mem),
            DiskMb = result.GetValue(Disk),
            Ports = result.GetValue(Ports)!,
            CpuHardLimit = result.GetValue(CpuHardLimit),
            DockerSocket = result.GetValue(DockerSocket) is { } socket && socket != "none" && socket.Length > 0 ? socket : null,
        };
        var errors = options.Validate();
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        return options;
    }
}
