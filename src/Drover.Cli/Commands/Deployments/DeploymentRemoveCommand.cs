using System.CommandLine;
using System.Net;
using Drover.Api.Client;
using Drover.Cli.CommandLine;
using Drover.Cli.Progress;

namespace Drover.Cli.Commands.Deployments;

/// <summary>
/// drover deployment rm ID: revert a running deployment (a new deployment back to the previous
/// definitions, followed like any other); with --force just stop it where it is.
/// </summary>
public sealed class DeploymentRemoveCommand : ClientCommand
{
    private readonly Argument<string> _id = new("DEPLOYMENT") { Description = "Deployment id (see 'drover deployments')" };
    private readonly Option<bool> _force = new("--force") { Description = "Just stop the deployment where it is, without rolling back" };
    private readonly WaitOptions _wait = new();

    public DeploymentRemoveCommand(CliContext context) : base("rm", "Revert a running deployment (--force: just stop it)", context)
    {
        Aliases.Add("revert");
        ServerCompletions.Add(_id, context, async (client, ct) => (await client.ListDeploymentsAsync(ct)).Select(d => d.Id));
        Arguments.Add(_id);
        Options.Add(_force);
        _wait.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        try
        {
            if (result.GetValue(_force))
            {
                await session.Client.CancelDeploymentAsync(id, force: true, ct);
                session.Out.WriteLine($"stopped deployment {id} where it was (no rollback)");
                return ExitCodes.Ok;
            }
            return await new DeploymentFollower(session).RunAsync($"revert {id}",
                async token => (await session.Client.CancelDeploymentAsync(id, force: false, token))!,
                r => $"reverting deployment {id}: new deployment {r.DeploymentId} (version {r.Version})",
                _wait.Read(result), ct);
        }
        catch (DroverApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            throw new CliException($"deployment {id} does not exist or has already finished (see 'drover deployments')");
        }
    }
}
