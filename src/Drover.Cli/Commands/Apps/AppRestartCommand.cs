using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Cli.Progress;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app restart ID: replace every task (rolling, within the upgrade strategy) and follow it.</summary>
public sealed class AppRestartCommand : ClientCommand
{
    private readonly Argument<string> _id;
    private readonly Option<bool> _force = new("--force") { Description = "Override a deployment that is running for the app" };
    private readonly WaitOptions _wait = new();

    public AppRestartCommand(CliContext context) : base("restart", "Replace every task of an app (rolling) and follow the deployment", context)
    {
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
        Options.Add(_force);
        _wait.AddTo(this);
    }

    protected override Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        return new DeploymentFollower(session).RunAsync($"restart {id}",
            token => session.Client.RestartAppAsync(id, result.GetValue(_force), token),
            r => $"restarting {id} (version {r.Version}, deployment {r.DeploymentId})",
            _wait.Read(result), ct);
    }
}
