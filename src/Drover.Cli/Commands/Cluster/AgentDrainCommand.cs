using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Core.Json;

namespace Drover.Cli.Commands.Cluster;

/// <summary>drover agent drain HOST [--deadline 5m]: no new tasks on the agent; its tasks move away as a rolling upgrade would.</summary>
public sealed class AgentDrainCommand : ClientCommand
{
    private readonly Argument<string> _agent = AgentArgument.Create();
    private readonly Option<string?> _deadline = new("--deadline")
    {
        Description = "Kill the tasks still on the agent after this long (they are replaced elsewhere), e.g. 5m; default: no deadline",
        HelpName = "DURATION",
    };

    public AgentDrainCommand(CliContext context)
        : base("drain", "Stop placing tasks on an agent and move its tasks away, never below an app's minimumHealthCapacity", context)
    {
        Arguments.Add(_agent);
        Options.Add(_deadline);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        TimeSpan? deadline = null;
        if (result.GetValue(_deadline) is { } raw)
        {
            if (!Durations.TryParse(raw, out var d, bareSeconds: true) || d <= TimeSpan.Zero)
                throw new UsageException($"--deadline '{raw}' is not a positive duration such as 30s, 5m or 1h");
            deadline = d;
        }
        var view = await session.Client.DrainAgentAsync(result.GetValue(_agent)!, deadline, ct);
        AgentArgument.Print(session, view);
        return ExitCodes.Ok;
    }
}

/// <summary>drover agent undrain HOST: the agent takes new tasks again.</summary>
public sealed class AgentUndrainCommand : ClientCommand
{
    private readonly Argument<string> _agent = AgentArgument.Create();

    public AgentUndrainCommand(CliContext context) : base("undrain", "End a drain: the agent takes new tasks again", context)
    {
        Arguments.Add(_agent);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var view = await session.Client.UndrainAgentAsync(result.GetValue(_agent)!, ct);
        AgentArgument.Print(session, view);
        return ExitCodes.Ok;
    }
}

internal static class AgentArgument
{
    public static Argument<string> Create() => new("HOST") { Description = "The agent's hostname (as 'drover agents' shows it) or id" };

    public static void Print(CommandSession session, AgentView view)
    {
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(view, ApiJsonContext.Default.AgentView));
            return;
        }
        var a = view.Agent;
        var deadline = a.Drain?.Deadline is { } d ? $" (deadline {d})" : "";
        session.Out.WriteLine(view.Drain switch
        {
            "draining" => $"{a.Hostname}: draining, {view.Tasks} task(s) to move away{deadline}",
            "drained" => $"{a.Hostname}: drained, no tasks left{deadline}",
            _ => $"{a.Hostname}: {a.Status.ToString().ToLowerInvariant()}, takes new tasks",
        });
    }
}
