using Drover.Agent;
using Drover.Server;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Commands;

/// <summary>drover server | agent | up: host the roles in this process until SIGTERM/Ctrl-C.</summary>
public static class RoleCommands
{
    public static async Task<int> ServerAsync(CliArgs args, CancellationToken ct)
    {
        var options = ServerOptionsFrom(args, Path.Combine(DefaultDataDir(), "server"));
        args.RejectUnknown();
        await using var server = await CreateServerAsync(options);
        await server.StartAsync(ct);
        Console.WriteLine($"drover server: {server.Url} (state {(options.DataDir is null ? "in memory" : Path.Combine(options.DataDir, "state.db"))}){Dns(server, options)}");
        await WaitAsync(ct);
        await server.StopAsync();
        return ExitCodes.Ok;
    }

    public static async Task<int> AgentAsync(CliArgs args, CancellationToken ct)
    {
        var join = args.Get("--join") ?? throw new UsageException("agent needs --join http://SERVER:PORT");
        var options = AgentOptionsFrom(args, join, Path.Combine(DefaultDataDir(), "agent"));
        args.RejectUnknown();
        using var loggers = Logging();
        await using var agent = new DroverAgent(options, loggers);
        await agent.StartAsync(ct);
        Console.WriteLine($"drover agent: registering with {join} (endpoint {agent.Endpoint})");
        await agent.Registered.WaitAsync(ct);
        Console.WriteLine($"drover agent: {agent.AgentId} on {options.Hostname}, endpoint {agent.Endpoint}, joined {join}");
        await WaitAsync(ct);
        await agent.StopAsync();
        return ExitCodes.Ok;
    }

    /// <summary>The all-in-one cluster: a server and one agent in this process, state under --data-dir.</summary>
    public static async Task<int> UpAsync(CliArgs args, CancellationToken ct)
    {
        var dataDir = Path.GetFullPath(args.Get("--data-dir") ?? DefaultDataDir());
        var serverOptions = ServerOptionsFrom(args, Path.Combine(dataDir, "server"), dataDirOption: null);
        var agentOptions = AgentOptionsFrom(args, "http://placeholder", Path.Combine(dataDir, "agent"), agentPrefix: "--agent-")
            with { KillTasksOnStop = !args.Flag("--keep-tasks") };
        args.RejectUnknown();

        Console.WriteLine($"[1/3] state: {(serverOptions.DataDir is null ? "in memory" : Path.Combine(serverOptions.DataDir, "state.db"))}");
        await using var server = await CreateServerAsync(serverOptions);
        await server.StartAsync(ct);
        Console.WriteLine($"[2/3] server: {server.Url} (Marathon API at {server.Url}v2/apps, Consul API at {server.Url}v1/catalog/services){Dns(server, serverOptions)}");
        using var loggers = Logging();
        await using var agent = new DroverAgent(agentOptions with { ServerUrl = server.Url.ToString().TrimEnd('/') }, loggers);
        await agent.StartAsync(ct);
        await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Console.WriteLine($"[3/3] agent: {agent.AgentId} on {agentOptions.Hostname}, ports {agentOptions.Ports}, endpoint {agent.Endpoint}");
        Console.WriteLine($"Drover is up. Try: ./drover app apply -f examples/hello.json   (Ctrl-C stops {(agentOptions.KillTasksOnStop ? "everything" : "the cluster; tasks keep running")})");
        await WaitAsync(ct);
        Console.WriteLine("stopping...");
        // the agent first, so the server hears that its tasks were stopped on purpose, and it does not replace them
        server.PauseScheduling();
        using (var stopDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await agent.StopAsync(stopDeadline.Token);
        await server.StopAsync();
        return ExitCodes.Ok;
    }

    private static async Task<DroverServer> CreateServerAsync(ServerOptions options)
    {
        try
        {
            return await DroverServer.CreateAsync(options);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static string Dns(DroverServer server, ServerOptions options) =>
        server.DnsEndpoint is { } ep ? $", DNS {ep} for *.{options.DnsDomain} (try: dig @{ep.Address} -p {ep.Port} <service>.service.{options.DnsDomain})" : ", DNS off";

    private static ServerOptions ServerOptionsFrom(CliArgs args, string defaultDataDir, string? dataDirOption = "--data-dir")
    {
        var dataDir = dataDirOption is null ? defaultDataDir : args.Get(dataDirOption) ?? defaultDataDir;
        var dnsListen = args.Get("--dns-listen") ?? "127.0.0.1:8600";
        var options = new ServerOptions
        {
            Listen = args.Get("--listen") ?? "127.0.0.1:8080",
            DnsListen = dnsListen == "off" ? null : dnsListen,
            DnsDomain = args.Get("--domain") ?? "drover",
            Recursors = args.All("--recursor") is { Count: > 0 } recursors ? recursors : null,
            DnsOnlyPassing = args.Flag("--dns-only-passing"),
            DataDir = args.Flag("--in-memory") ? null : Path.GetFullPath(dataDir),
            AgentToken = args.Get("--token") ?? Environment.GetEnvironmentVariable("DROVER_TOKEN"),
            AgentTimeout = args.Get("--agent-timeout") is { } t ? ParseDuration(t, "--agent-timeout") : TimeSpan.FromSeconds(10),
        };
        try { options.Validate(); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
        return options;
    }

    private static AgentOptions AgentOptionsFrom(CliArgs args, string join, string defaultDataDir, string agentPrefix = "--")
    {
        var attrs = new Dictionary<string, string>();
        foreach (var a in args.All("--attr"))
        {
            var eq = a.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--attr expects key=value, got '{a}'");
            attrs[a[..eq]] = a[(eq + 1)..];
        }
        var options = new AgentOptions
        {
            ServerUrl = join,
            Token = args.Get("--token") ?? Environment.GetEnvironmentVariable("DROVER_TOKEN"),
            DataDir = Path.GetFullPath(agentPrefix == "--" ? args.Get("--data-dir") ?? defaultDataDir : defaultDataDir),
            Hostname = args.Get("--hostname") ?? Environment.MachineName,
            Listen = args.Get(agentPrefix + "listen") ?? "127.0.0.1:0",
            Attributes = attrs,
            Cpus = args.Double("--cpus"),
            MemMb = args.Double("--mem"),
            DiskMb = args.Double("--disk"),
            Ports = args.Get("--ports") ?? AgentOptions.DefaultPorts,
        };
        var errors = options.Validate();
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        return options;
    }

    public static TimeSpan ParseDuration(string s, string what) =>
        Core.Json.Durations.TryParse(s, out var d, bareSeconds: true) ? d
        : throw new UsageException($"{what} expects a duration like 10s, 500ms or 2m, got '{s}'");

    private static string DefaultDataDir() =>
        Environment.GetEnvironmentVariable("DROVER_DATA_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drover");

    private static ILoggerFactory Logging() => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.AddFilter("Microsoft", LogLevel.Warning);
        b.AddFilter("System.Net.Http", LogLevel.Warning);
    });

    private static async Task WaitAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }
}
