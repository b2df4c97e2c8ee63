using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Deployments;

/// <summary>drover deployment ls (also: drover deployments): the deployments running now.</summary>
public sealed class DeploymentListCommand : ClientCommand
{
    public DeploymentListCommand(CliContext context, string name = "ls") : base(name, "List the deployments running now, with their step and current actions", context)
    {
        if (name == "ls") Aliases.Add("list");
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var list = await session.Client.ListDeploymentsAsync(ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(list, ApiJsonContext.Default.ListDeploymentInfo));
            return ExitCodes.Ok;
        }
        var t = new Table("ID", "APPS~", "STEP", "ACTIONS~", "AGE", "VERSION");
        var now = session.Time.GetUtcNow();
        foreach (var d in list)
            t.Add(d.Id, string.Join(",", d.AffectedApps), $"{d.CurrentStep}/{d.TotalSteps}",
                string.Join(", ", d.CurrentActions.Select(a => $"{a.Action} {a.App}")), Times.Age(d.Version, now), d.Version);
        t.Write(session.Out, session.Console.Width);
        return ExitCodes.Ok;
    }
}
