using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Apps;

namespace Drover.Cli.Commands.Tasks;

/// <summary>drover ps [APP]: tasks, of every app or of one.</summary>
public sealed class PsCommand : ClientCommand
{
    private readonly Argument<string?> _app;
    private readonly Option<bool> _noTrunc = new("--no-trunc") { Description = "Full task ids and versions; no cutting of columns to fit the terminal" };

    public PsCommand(CliContext context) : base("ps", "List tasks: id, app, state, health, host:ports, age, version", context)
    {
        _app = AppIdArgument.WithAppCompletion(new Argument<string?>("APP") { Description = "Only this app's tasks", Arity = ArgumentArity.ZeroOrOne }, context);
        Arguments.Add(_app);
        Options.Add(_noTrunc);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var tasks = await session.Client.ListTasksAsync(result.GetValue(_app), ct);
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(new TasksResponse(tasks), ApiJsonContext.Default.TasksResponse));
        else TaskTable.Write(session, tasks, result.GetValue(_noTrunc));
        return ExitCodes.Ok;
    }
}
