using System.CommandLine;
using System.Text.Json;
using Drover.Cli.CommandLine;
using Drover.Cli.Files;
using Drover.Cli.Progress;
using Drover.Core.Validation;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app apply -f FILE: create or update apps from Marathon JSON or YAML and follow the deployment.</summary>
public sealed class AppApplyCommand : ClientCommand
{
    private readonly Option<string> _file = new("--file", "-f")
    {
        Description = "App definition: Marathon JSON or the same in YAML; one app or a list of apps; - reads stdin",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<bool> _force = new("--force") { Description = "Override a deployment that is running for the app" };

    private readonly Option<bool> _allowUnknown = new("--allow-unknown")
    {
        Description = "Send fields Drover does not know instead of refusing the file (the server ignores them)",
    };

    private readonly WaitOptions _wait = new();

    public AppApplyCommand(CliContext context) : base("apply", "Create or update apps from a file and follow the deployment", context)
    {
        Options.Add(_file);
        Options.Add(_force);
        Options.Add(_allowUnknown);
        _wait.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var file = result.GetValue(_file)!;
        var force = result.GetValue(_force);
        var doc = AppFile.Read(file);
        var apps = doc.ValueKind == JsonValueKind.Array ? doc.EnumerateArray().ToList() : [doc];
        var name = file == "-" ? "<stdin>" : file;
        foreach (var app in apps) Check(app, name, result.GetValue(_allowUnknown));
        var failed = false;
        foreach (var app in apps)
        {
            var id = app.GetProperty("id").GetString()!;
            var follower = new DeploymentFollower(session);
            var code = await follower.RunAsync($"apply {id}",
                token => session.Client.PutAppAsync(id, app, force, partialUpdate: false, token),
                r => $"applied {id} version {r.Version} (deployment {r.DeploymentId})",
                _wait.Read(result), ct);
            failed |= code != ExitCodes.Ok;
        }
        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    /// <summary>Refuses what the server would silently ignore: an app without a string id, or a misspelled field.</summary>
    private static void Check(JsonElement app, string file, bool allowUnknown)
    {
        if (app.ValueKind != JsonValueKind.Object || !app.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
            throw new CliException($"{file}: every app needs a string \"id\"");
        if (allowUnknown) return;
        var unknown = AppFieldSchema.FindUnknown(app);
        if (unknown.Count == 0) return;
        var listed = string.Join("; ", unknown.Take(5).Select(u => u.Describe()));
        var more = unknown.Count > 5 ? $"; and {unknown.Count - 5} more" : "";
        throw new CliException($"{file}: app {id.GetString()}: {listed}{more} (--allow-unknown sends them anyway)");
    }
}
