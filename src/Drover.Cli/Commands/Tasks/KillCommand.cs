using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Tasks;

/// <summary>drover kill TASK...: kill tasks by id or unique prefix; the scheduler replaces them.</summary>
public sealed class KillCommand : ClientCommand
{
    private readonly Argument<string[]> _tasks = new("TASK")
    {
        Description = "Task ids, or unique prefixes of them as 'drover ps' shows",
        Arity = ArgumentArity.OneOrMore,
    };

    public KillCommand(CliContext context) : base("kill", "Kill tasks (their apps replace them; scale down to stop them for good)", context)
    {
        Arguments.Add(_tasks);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var inputs = result.GetValue(_tasks) ?? [];
        var all = await session.Client.ListTasksAsync(null, ct);
        var ids = new List<string>();
        var missing = new List<string>();
        foreach (var input in inputs)
        {
            if (TaskNames.Resolve(input, all) is { } task) ids.Add(task.Id);
            else missing.Add(input);
        }
        if (missing.Count > 0) throw new CliException($"no task matches {string.Join(", ", missing.Select(m => $"'{m}'"))} (see 'drover ps')");
        var killed = await session.Client.KillTasksAsync(ids.Distinct().ToList(), ct);
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(new TasksResponse(killed), ApiJsonContext.Default.TasksResponse));
        else foreach (var t in killed) session.Out.WriteLine($"killing {t.Id}");
        if (killed.Count < ids.Distinct().Count()) throw new CliException($"{ids.Distinct().Count() - killed.Count} of the tasks had already ended");
        return ExitCodes.Ok;
    }
}
