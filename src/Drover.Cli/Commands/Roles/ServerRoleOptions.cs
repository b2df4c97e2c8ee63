using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Server;

namespace Drover.Cli.Commands.Roles;

/// <summary>The options of the server role (drover server, and the server half of drover up).</summary>
public sealed class ServerRoleOptions
{
    public Option<string> Listen { get; } = new("--listen")
    {
        Description = "Address of the HTTP API (Marathon /v2, Consul /v1, agent protocol); 0.0.0.0:8080 for other hosts",
        HelpName = "HOST:PORT",
        DefaultValueFactory = _ => "127.0.0.1:8080",
    };

    public Option<string?> DataDir { get; } = new("--data-dir")
    {
        Description = "Data directory: state (SQLite) and, for up, agent sandboxes [env DROVER_DATA_DIR; default ~/.drover for up, ~/.drover/server for server]",
        HelpName = "DIR",
    };

    public Option<bool> InMemory { get; } = new("--in-memory") { Description = "Keep the state in memory only (lost on exit; for experiments)" };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Join token agents must present [env DROVER_TOKEN]",
        HelpName = "TOKEN",
    };

    public Option<TimeSpan?> AgentTimeout { get; } = new("--agent-timeout")
    {
        Description = "Mark an agent unreachable (and replace its tasks per unreachableStrategy) after this long without a heartbeat [default 10s]",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public Option<string> DnsListen { get; } = new("--dns-listen")
    {
        Description = "Address of the DNS server (UDP and TCP), or 'off'",
        HelpName = "HOST:PORT|off",
        DefaultValueFactory = _ => "127.0.0.1:8600",
    };

    public Option<string> Domain { get; } = new("--domain")
    {
        Description = "DNS domain Drover answers for (consul or mesos for drop-in use)",
        HelpName = "DOMAIN",
        DefaultValueFactory = _ => "drover",
    };

    public Option<string[]> Recursors { get; } = new("--recursor")
    {
        Description = "Upstream DNS server for other names (repeatable) [default: those of /etc/resolv.conf]",
        HelpName = "HOST[:PORT]",
    };

    public Option<bool> DnsOnlyPassing { get; } = new("--dns-only-passing")
    {
        Description = "Answer only passing instances in DNS (by default warning ones too, as Consul)",
    };

    public void AddTo(Command command, bool includeDataDir = true)
    {
        command.Options.Add(Listen);
        if (includeDataDir) command.Options.Add(DataDir);
        command.Options.Add(InMemory);
        command.Options.Add(Token);
        command.Options.Add(AgentTimeout);
        command.Options.Add(DnsListen);
        command.Options.Add(Domain);
        command.Options.Add(Recursors);
        command.Options.Add(DnsOnlyPassing);
    }

    public ServerOptions Read(ParseResult result, string dataDir)
    {
        var dns = result.GetValue(DnsListen)!;
        var options = new ServerOptions
        {
            Listen = result.GetValue(Listen)!,
            DnsListen = dns == "off" ? null : dns,
            DnsDomain = result.GetValue(Domain)!,
            Recursors = result.GetValue(Recursors) is { Length: > 0 } r ? r : null,
            DnsOnlyPassing = result.GetValue(DnsOnlyPassing),
            DataDir = result.GetValue(InMemory) ? null : Path.GetFullPath(dataDir),
            AgentToken = result.GetValue(Token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN"),
            AgentTimeout = result.GetValue(AgentTimeout) ?? TimeSpan.FromSeconds(10),
        };
        try { options.Validate(); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
        return options;
    }

    public static string DefaultDataDir() =>
        Environment.GetEnvironmentVariable("DROVER_DATA_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drover");
}
