using System.Globalization;
using System.Net;
using Drover.Core.Cluster;
using Drover.Core.Net;

namespace Drover.Agent;

/// <summary>Configuration of one agent. Validate with <see cref="Validate"/> (the agent does so on start).</summary>
public sealed record AgentOptions
{
    public const string DefaultPorts = "31000-32000";

    /// <summary>
    /// Base URL of the Drover server, e.g. http://10.0.0.1:8080; several servers separated by commas
    /// (https://a:8443,https://b:8443), tried in order, the leader followed (see <see cref="Drover.Api.Client.ServerList"/>).
    /// </summary>
    public required string ServerUrl { get; init; }
    /// <summary>
    /// The cluster's join token (see <see cref="Drover.Api.Security.JoinToken"/>): its secret goes to the server as a
    /// bearer token; a drover1 token also pins the cluster CA, so the servers must then be https:// URLs.
    /// </summary>
    public string? Token { get; init; }
    /// <summary>Holds agent-id, tasks/ (runtime records) and sandboxes/.</summary>
    public required string DataDir { get; init; }
    public string Hostname { get; init; } = Environment.MachineName;
    /// <summary>host:port of the agent's own HTTP endpoint (logs, task list); port 0 picks a free one.</summary>
    public string Listen { get; init; } = "127.0.0.1:0";
    /// <summary>Host name or address the server uses to reach the endpoint; defaults to the listen address (or Hostname when listening on any address).</summary>
    public string? AdvertiseHost { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    /// <summary>Overrides of detected resources.</summary>
    public double? Cpus { get; init; }
    public double? MemMb { get; init; }
    public double? DiskMb { get; init; }
    /// <summary>Host port ranges offered to tasks, e.g. "31000-32000,33000-33100".</summary>
    public string Ports { get; init; } = DefaultPorts;
    /// <summary>Heartbeat period; the server's answer to registration (heartbeatIntervalMs) takes precedence.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How long one assignments long-poll waits on the server.</summary>
    public TimeSpan AssignmentsWait { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>Put tasks into cgroups with cpu/memory limits when the host allows it.</summary>
    public bool EnableCgroups { get; init; } = true;
    /// <summary>Parent cgroup of task groups. Absolute ("/drover") is below the hierarchy root; relative is below the agent's own cgroup.</summary>
    public string CgroupParent { get; init; } = "/drover";
    /// <summary>
    /// Cap every task at its cpus with a CFS quota. Off by default: cpus is then a proportional weight (cpu.shares),
    /// as in Mesos and Nomad; an app can still ask for the cap with the label DROVER_CPU_HARD_LIMIT=true.
    /// </summary>
    public bool CpuHardLimit { get; init; }
    /// <summary>Kill every task when the agent stops (drover up); otherwise tasks keep running and are re-adopted on restart.</summary>
    public bool KillTasksOnStop { get; init; }
    /// <summary>How long sandboxes of forgotten tasks are kept for their logs.</summary>
    public TimeSpan SandboxRetention { get; init; } = TimeSpan.FromHours(24);
    /// <summary>
    /// Unix socket of the Docker daemon; when a daemon answers there at start, the agent has the docker driver.
    /// Null or empty: no docker driver.
    /// </summary>
    public string? DockerSocket { get; init; } = DefaultDockerSocket;
    public const string DefaultDockerSocket = "/var/run/docker.sock";
    /// <summary>Size at which a task's stdout or stderr file is rotated (see <see cref="Logs.LogRotation"/>).</summary>
    public long LogMaxSize { get; init; } = Logs.LogRotationPolicy.DefaultMaxSize;
    /// <summary>Files kept per stream, the current one included; the oldest is dropped.</summary>
    public int LogMaxFiles { get; init; } = Logs.LogRotationPolicy.DefaultMaxFiles;
    public Logs.LogRotationPolicy LogRotation => new(LogMaxSize, LogMaxFiles);
    /// <summary>
    /// Collector that task logs are shipped to as JSON lines: tcp://HOST:PORT or http(s)://HOST:PORT/path
    /// (see <see cref="Logs.Shipping.LogShipTarget"/>); null ships nothing.
    /// </summary>
    public string? LogShip { get; init; }
    /// <summary>Lines held in memory for the collector; when full, new lines are dropped and counted.</summary>
    public int LogShipBuffer { get; init; } = Logs.Shipping.LogShipBuffer.DefaultCapacity;
    /// <summary>"Name: value" headers sent with every POST to an http(s):// collector (e.g. Authorization).</summary>
    public IReadOnlyList<string> LogShipHeaders { get; init; } = [];
    /// <summary>PEM file of the CA(s) that sign a tls:// or https:// collector's certificate, trusted instead of the system's roots.</summary>
    public string? LogShipCaFile { get; init; }
    /// <summary>PEM certificate the agent presents to a tls:// or https:// collector that requires client certificates (with <see cref="LogShipKeyFile"/>).</summary>
    public string? LogShipCertFile { get; init; }
    /// <summary>PEM private key of <see cref="LogShipCertFile"/>.</summary>
    public string? LogShipKeyFile { get; init; }
    /// <summary>The parsed <see cref="LogShipHeaders"/> (call after <see cref="Validate"/>).</summary>
    public IReadOnlyList<Logs.Shipping.CollectorHeader> CollectorHeaders =>
        [.. LogShipHeaders.Select(h => Logs.Shipping.CollectorHeader.TryParse(h, out var header, out _) ? header! : throw new AgentConfigurationException([$"logShipHeader: invalid '{h}'"]))];
    /// <summary>The parsed <see cref="LogShip"/>; null when not shipping.</summary>
    public Logs.Shipping.LogShipTarget? LogShipTarget =>
        LogShip is null ? null
        : Logs.Shipping.LogShipTarget.TryParse(LogShip, out var t, out var error) ? t : throw new AgentConfigurationException([$"logShip: {error}"]);
    /// <summary>
    /// How often the host and every task are sampled into the stats history. At most <see cref="Stats.CpuRates.MaxAge"/>
    /// (a CPU rate needs the previous sample); cAdvisor samples each second, Drover every 10 s by default since
    /// the history is for charts of the last hour, not alerts.
    /// </summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How far back the stats history goes: each ring holds this over <see cref="StatsInterval"/> samples (360 by default).</summary>
    public TimeSpan StatsRetention { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Bound on samples per ring, so a typo (1s for a week) cannot make every task hold megabytes.</summary>
    public const int MaxStatsSamples = 100_000;

    /// <summary>Upper bound of the retry backoff of every loop talking to the server.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// Upper bound of the backoff after the server refused this agent (wrong join token, a server it must not trust):
    /// that takes an operator to fix, so retrying every second would only flood both logs.
    /// </summary>
    public TimeSpan MaxRefusedRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The servers of <see cref="ServerUrl"/>, in order.</summary>
    public IReadOnlyList<Uri> ServerUris =>
        [.. SplitServers(ServerUrl).Select(s => Uri.TryCreate(s, UriKind.Absolute, out var u) ? u : throw new AgentConfigurationException([$"serverUrl: '{s}' is not a URL"]))];

    private static IEnumerable<string> SplitServers(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Returns every problem with these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!SplitServers(ServerUrl).Any())
            errors.Add("serverUrl: required (the Drover server to join, e.g. http://10.0.0.1:8080)");
        Drover.Api.Security.JoinToken? token = null;
        if (Token is not null && !Drover.Api.Security.JoinToken.TryParse(Token, out token, out var tokenError)) errors.Add($"token: {tokenError}");
        foreach (var server in SplitServers(ServerUrl))
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                errors.Add($"serverUrl: '{server}' is not an absolute http:// or https:// URL");
            else if (token?.CaDigest is not null && u.Scheme == Uri.UriSchemeHttp)
                errors.Add($"serverUrl: the join token pins the cluster's CA, so join the server's https:// address (it printed the command line), not '{server}'");
        }
        if (string.IsNullOrWhiteSpace(DataDir))
            errors.Add("dataDir: required (directory for agent state and task sandboxes)");
        else if (!Path.IsPathFullyQualified(DataDir))
            errors.Add($"dataDir: '{DataDir}' must be an absolute path");
        if (string.IsNullOrWhiteSpace(Hostname))
            errors.Add("hostname: must not be empty");
        if (!TryParseListen(Listen, out _, out var listenError))
            errors.Add($"listen: {listenError}");
        if (AdvertiseHost is not null && Uri.CheckHostName(AdvertiseHost) == UriHostNameType.Unknown)
            errors.Add($"advertiseHost: '{AdvertiseHost}' is not a valid host name or address");
        if (Cpus is { } c && !(c > 0)) errors.Add($"cpus: must be > 0, got {c}");
        if (MemMb is { } m && !(m > 0)) errors.Add($"memMb: must be > 0, got {m}");
        if (DiskMb is { } d && !(d >= 0)) errors.Add($"diskMb: must be >= 0, got {d}");
        if (!TryParsePorts(Ports, out _, out var portsError)) errors.Add($"ports: {portsError}");
        if (HeartbeatInterval <= TimeSpan.Zero) errors.Add("heartbeatInterval: must be positive");
        if (AssignmentsWait <= TimeSpan.Zero) errors.Add("assignmentsWait: must be positive");
        if (MaxRetryDelay <= TimeSpan.Zero) errors.Add("maxRetryDelay: must be positive");
        if (DockerSocket is { Length: > 0 } socket && !Path.IsPathFullyQualified(socket))
            errors.Add($"dockerSocket: '{socket}' must be an absolute path");
        else if (DockerSocket is { Length: > 107 } longSocket)
            errors.Add($"dockerSocket: '{longSocket}' is longer than the 107 bytes a unix socket path may have");
        if (MaxRefusedRetryDelay <= TimeSpan.Zero) errors.Add("maxRefusedRetryDelay: must be positive");
        errors.AddRange(LogRotation.Validate());
        if (LogShip is not null && !Logs.Shipping.LogShipTarget.TryParse(LogShip, out _, out var shipError)) errors.Add($"logShip: {shipError}");
        errors.AddRange(ValidateCollectorSettings());
        if (LogShipBuffer < 1) errors.Add($"logShipBuffer: must be at least 1 line, got {LogShipBuffer}");
        if (StatsInterval < TimeSpan.FromMilliseconds(100) || StatsInterval > Stats.CpuRates.MaxAge)
            errors.Add($"statsInterval: must be between 100ms and {Stats.CpuRates.MaxAge.TotalSeconds:0}s (a CPU rate needs the previous sample), got {StatsInterval}");
        else if (StatsRetention < StatsInterval)
            errors.Add($"statsHistory: must be at least one stats interval ({StatsInterval}), got {StatsRetention}");
        else if (Stats.StatsHistory.CapacityFor(StatsInterval, StatsRetention) > MaxStatsSamples)
            errors.Add($"statsHistory: {StatsRetention} at one sample every {StatsInterval} is {Stats.StatsHistory.CapacityFor(StatsInterval, StatsRetention)} samples per task, more than {MaxStatsSamples}; sample less often or keep less");
        if (SandboxRetention < TimeSpan.Zero) errors.Add("sandboxRetention: must not be negative");
        if (string.IsNullOrWhiteSpace(CgroupParent) || CgroupParent.Split('/').Any(s => s is "." or ".."))
            errors.Add($"cgroupParent: '{CgroupParent}' is not a valid cgroup path");
        foreach (var key in Attributes.Keys.Where(string.IsNullOrWhiteSpace))
            errors.Add("attributes: attribute names must not be empty");
        return errors;
    }

    private IEnumerable<string> ValidateCollectorSettings()
    {
        Logs.Shipping.LogShipTarget.TryParse(LogShip, out var target, out _);
        foreach (var h in LogShipHeaders)
        {
            if (!Logs.Shipping.CollectorHeader.TryParse(h, out _, out var headerError)) yield return $"logShipHeader: {headerError}";
        }
        if (LogShipHeaders.Count > 0 && target is not null && target.Protocol != Logs.Shipping.LogShipProtocol.Http)
            yield return $"logShipHeader: headers are sent to http(s):// collectors only, and --log-ship is {target.Uri.Scheme}://";
        foreach (var error in ValidateClientCertificate(target)) yield return error;
        if (LogShipCaFile is null) yield break;
        if (target is not null && !target.UsesTls)
            yield return $"logShipCaFile: trusts the certificate of a tls:// or https:// collector, and --log-ship is {target.Uri.Scheme}://";
        else if (!Logs.Shipping.CollectorTls.TryLoadCaFile(LogShipCaFile, out _, out var caError))
            yield return $"logShipCaFile: {caError}";
    }

    private IEnumerable<string> ValidateClientCertificate(Logs.Shipping.LogShipTarget? target)
    {
        if (LogShipCertFile is null && LogShipKeyFile is null) yield break;
        if (LogShipKeyFile is null)
            yield return "logShipKeyFile: --log-ship-cert-file needs the certificate's private key in --log-ship-key-file";
        else if (LogShipCertFile is null)
            yield return "logShipCertFile: --log-ship-key-file needs the certificate it belongs to in --log-ship-cert-file";
        else if (target is not null && !target.UsesTls)
            yield return $"logShipCertFile: a client certificate is for a tls:// or https:// collector, and --log-ship is {target.Uri.Scheme}://";
        else if (!Logs.Shipping.CollectorTls.TryLoadClientCertificate(LogShipCertFile, LogShipKeyFile, out var cert, out var error))
            yield return error;
        else
            cert?.Dispose();
    }

    /// <summary>Throws <see cref="AgentConfigurationException"/> listing every problem.</summary>
    public void ValidateOrThrow()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new AgentConfigurationException(errors);
    }

    public IPEndPoint ListenEndPoint =>
        TryParseListen(Listen, out var ep, out var error) ? ep : throw new AgentConfigurationException([$"listen: {error}"]);

    public IReadOnlyList<PortRange> PortRanges =>
        TryParsePorts(Ports, out var r, out var error) ? r : throw new AgentConfigurationException([$"ports: {error}"]);

    /// <summary>Parses "host:port" where host is an IP address, "[v6]", "localhost" or "*" (see <see cref="HostPort"/>).</summary>
    public static bool TryParseListen(string? value, out IPEndPoint endPoint, out string error) =>
        HostPort.TryParseEndPoint(value, out endPoint, out error);

    /// <summary>Parses "31000-32000,33000-33100" (single ports allowed) into sorted, non-overlapping inclusive ranges.</summary>
    public static bool TryParsePorts(string? value, out IReadOnlyList<PortRange> ranges, out string error)
    {
        ranges = [];
        error = "";
        if (string.IsNullOrWhiteSpace(value)) { error = "must list at least one range, e.g. 31000-32000"; return false; }
        var list = new List<PortRange>();
        foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries))
        {
            var parts = raw.Split('-', StringSplitOptions.TrimEntries);
            if (parts.Length is < 1 or > 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var begin)
                || !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
            {
                error = $"'{raw}' is not a port or a range like 31000-32000";
                return false;
            }
            if (begin < 1 || end > 65535 || begin > end)
            {
                error = $"'{raw}': ports must be within 1-65535 with begin <= end";
                return false;
            }
            list.Add(new PortRange(begin, end));
        }
        list.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Begin <= list[i - 1].End)
            {
                error = $"ranges {list[i - 1].Begin}-{list[i - 1].End} and {list[i].Begin}-{list[i].End} overlap";
                return false;
            }
        }
        ranges = list;
        return true;
    }
}

/// <summary>Invalid agent configuration; the message lists every problem.</summary>
public sealed class AgentConfigurationException(IReadOnlyList<string> errors)
    : Exception("invalid agent configuration: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
