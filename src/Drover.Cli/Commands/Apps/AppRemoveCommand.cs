using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Cli.Progress;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app rm ID: delete an app, kill its tasks, and follow until they are gone.</summary>
public sealed class AppRemoveCommand : ClientCommand
{
    private readonly Argument<string> _id;
    private readonly WaitOptions _wait = new();

    public AppRemoveCommand(CliContext context) : base("rm", "Delete an app and kill its tasks (overrides a running deployment, as Marathon's DELETE does)", context)
    {
        Aliases.Add("remove");
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
        _wait.AddTo(this);
    }

    protected override Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        return new DeploymentFollower(session).RunAsync($"remove {id}",
            token => session.Client.DeleteAppAsync(id, force: true, token),
            r => $"removed {id} (deployment {r.DeploymentId})",
            _wait.Read(result), ct);
    }
}
