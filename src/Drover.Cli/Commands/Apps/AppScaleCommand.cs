using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Cli.Progress;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app scale ID N: set the instance count and follow the deployment.</summary>
public sealed class AppScaleCommand : ClientCommand
{
    private readonly Argument<string> _id;
    private readonly Argument<int> _count = new("N")
    {
        Description = "Instances to run",
        CustomParser = r => ValueParsers.NonNegativeInt(r, "the instance count"),
    };
    private readonly Option<bool> _force = new("--force") { Description = "Override a deployment that is running for the app" };
    private readonly WaitOptions _wait = new();

    public AppScaleCommand(CliContext context) : base("scale", "Set an app's instance count and follow the deployment", context)
    {
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
        Arguments.Add(_count);
        Options.Add(_force);
        _wait.AddTo(this);
    }

    protected override Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        var n = result.GetValue(_count);
        return new DeploymentFollower(session).RunAsync($"scale {id} to {n}",
            token => session.Client.ScaleAppAsync(id, n, result.GetValue(_force), token),
            r => $"scaling {id} to {n} (version {r.Version}, deployment {r.DeploymentId})",
            _wait.Read(result), ct);
    }
}
