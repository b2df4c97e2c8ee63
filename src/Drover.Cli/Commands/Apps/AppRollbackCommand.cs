using System.CommandLine;
using System.Text.Json;
using Drover.Cli.CommandLine;
using Drover.Cli.Progress;
using Drover.Cli.Rollback;
using Drover.Core.Json;

namespace Drover.Cli.Commands.Apps;

/// <summary>
/// drover app rollback ID [--to VERSION]: back to the config that ran before the current one
/// (skipping reverted deployments), after showing the version it picked and the diff.
/// </summary>
public sealed class AppRollbackCommand : ClientCommand
{
    private static readonly IReadOnlySet<string> NotShown = new HashSet<string>(StringComparer.Ordinal) { "version", "versionInfo" };

    private readonly Argument<string> _id;
    private readonly Option<string?> _to = new("--to") { Description = "Roll back to this stored version (see 'drover app versions')", HelpName = "VERSION" };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Do not ask for confirmation (needed when not on a terminal)" };
    private readonly Option<bool> _force = new("--force") { Description = "Override a deployment that is running for the app" };
    private readonly WaitOptions _wait = new();

    public AppRollbackCommand(CliContext context) : base("rollback", "Roll an app back to its previous config (or --to a stored version), showing the diff first", context)
    {
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
        Options.Add(_to);
        Options.Add(_yes);
        Options.Add(_force);
        _wait.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        var app = await session.Client.GetAppAsync(id, ct);
        var current = await session.Client.GetAppVersionAsync(app.Id, app.Version!, ct);
        var (target, skipped) = await PickAsync(session, app.Id, app.Version!, app.VersionInfo?.LastConfigChangeAt ?? app.Version!, current, result.GetValue(_to), ct);
        var definition = await session.Client.GetAppVersionAsync(app.Id, target, ct);
        var changes = JsonDiff.Compare(current, definition, NotShown).Select(c => c.ToString()).ToList();
        var plan = new RollbackPlan(app.Id, app.Version!, target, changes, skipped);
        Show(session, plan);
        if (!result.GetValue(_yes) && !Confirmed(plan))
        {
            session.Out.WriteLine("not rolled back");
            return ExitCodes.Failed;
        }
        return await new DeploymentFollower(session).RunAsync($"rollback {app.Id}",
            token => session.Client.RollbackAppAsync(app.Id, target, result.GetValue(_force), token),
            r => $"rolling {app.Id} back to {target} (version {r.Version}, deployment {r.DeploymentId})",
            _wait.Read(result), ct);
    }

    private static async Task<(string Target, IReadOnlyList<string> Skipped)> PickAsync(CommandSession session, string id, string currentVersion,
        string configVersion, JsonElement current, string? to, CancellationToken ct)
    {
        if (to is not null)
        {
            var wire = MarathonTime.TryParse(to, out var t) ? MarathonTime.ToWire(t) : to;
            if (wire == currentVersion) throw new CliException($"{id} is already at version {wire}");
            return (wire, []);
        }
        var history = await session.Client.GetAppHistoryAsync(id, ct);
        var entries = history.Versions.Select(v => new VersionEntry(v.Version, v.LastConfigChangeAt ?? v.Version, v.Reverted)).ToList();
        var (target, skipped) = await PreviousConfig.PickAsync(current, configVersion, entries, v => session.Client.GetAppVersionAsync(id, v, ct));
        if (target is null)
            throw new CliException($"{id} has no earlier config to roll back to{(skipped.Count > 0 ? $" (skipped {string.Join("; ", skipped)})" : "")}");
        return (target.Version, skipped);
    }

    private static void Show(CommandSession session, RollbackPlan plan)
    {
        if (session.Json)
        {
            session.Console.Err.WriteLine(JsonSerializer.Serialize(plan, CliJsonContext.Default.RollbackPlan));
            return;
        }
        var w = session.Out;
        w.WriteLine($"rollback {plan.AppId}: from version {plan.CurrentVersion} to {plan.TargetVersion}");
        foreach (var s in plan.Skipped) w.WriteLine($"  skipped {s}");
        if (plan.Changes.Count == 0) w.WriteLine("  no changes in the definition (only the version)");
        foreach (var c in plan.Changes) w.WriteLine("  " + c);
        w.Flush();
    }

    private bool Confirmed(RollbackPlan plan)
    {
        if (Context.Confirm is not { } ask)
            throw new UsageException("not a terminal, so nobody can confirm: add --yes to roll back without asking");
        return ask($"Roll {plan.AppId} back to {plan.TargetVersion}?");
    }
}
