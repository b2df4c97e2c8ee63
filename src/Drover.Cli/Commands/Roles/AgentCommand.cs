using System.CommandLine;
using Drover.Agent;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Roles;

/// <summary>drover agent --join URL: a node agent that runs tasks, until Ctrl-C or SIGTERM (tasks keep running and are re-adopted).</summary>
public sealed class AgentCommand : Command
{
    private readonly Option<string[]> _join = new("--join")
    {
        Description = "URL of the Drover server to join, e.g. https://10.0.0.1:8443; several as a,b,c or repeated: tried in order, the leader followed",
        HelpName = "URL",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<string?> _token = new("--token")
    {
        Description = "The cluster's join token as the server printed it (not an API token); a drover1-… token also pins the cluster's CA [env DROVER_TOKEN]",
        HelpName = "TOKEN",
    };
    private readonly Option<string?> _dataDir = new("--data-dir")
    {
        Description = "Directory for the agent's state and task sandboxes [default ~/.drover/agent]",
        HelpName = "DIR",
    };
    private readonly AgentRoleOptions _agent = new("--listen");
    private readonly CliContext _context;
    private readonly LogFormatOption _logFormat = new();

    public AgentCommand(CliContext context) : base("agent", "Run a node agent that joins a server and runs tasks (they survive an agent restart)")
    {
        _context = context;
        Options.Add(_join);
        Options.Add(_token);
        Options.Add(_dataDir);
        _agent.AddTo(this);
        _logFormat.AddTo(this);
        SetAction(RunAsync);
        // An agent's own operations, run from anywhere against the server (the role above needs --join; these do not).
        Subcommands.Add(new Cluster.AgentDrainCommand(context));
        Subcommands.Add(new Cluster.AgentUndrainCommand(context));
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var join = string.Join(',', result.GetValue(_join)!);
        var token = result.GetValue(_token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN");
        if (string.IsNullOrEmpty(token)) token = null;
        var options = _agent.Read(result, join, result.GetValue(_dataDir) ?? Path.Combine(ServerRoleOptions.DefaultDataDir(), "agent"), token);
        var w = _logFormat.Lines(result, _context.Console);
        using var loggers = RoleHosting.Logging(_logFormat.Json(result));
        await using var agent = new DroverAgent(options, loggers);
        await RoleHosting.StartAgentAsync(agent, RoleErrors.Agent("--listen"), ct);
        w.WriteLine($"drover agent: registering with {join} (endpoint {agent.Endpoint})");
        w.Flush();
        await agent.Registered.WaitAsync(ct);
        w.WriteLine($"drover agent: {agent.AgentId} on {options.Hostname}, endpoint {agent.Endpoint}, joined {agent.CurrentServer.ToString().TrimEnd('/')}");
        w.Flush();
        await RoleHosting.WaitForStopAsync(ct);
        await agent.StopAsync();
        return ExitCodes.Ok;
    }
}
