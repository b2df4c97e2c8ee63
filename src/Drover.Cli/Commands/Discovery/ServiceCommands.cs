using System.CommandLine;
using System.Text.Json;
using Drover.Api.Consul;
using Drover.Cli.CommandLine;
using Drover.Cli.Files;

namespace Drover.Cli.Commands.Discovery;

/// <summary>drover service register|deregister|tags|untag: external services and runtime tags.</summary>
public sealed class ServiceCommand : Command
{
    public ServiceCommand(CliContext context) : base("service", "Register external services (Consul definitions) and change instance tags")
    {
        Subcommands.Add(new ServiceRegisterCommand(context));
        Subcommands.Add(new ServiceDeregisterCommand(context));
        Subcommands.Add(new ServiceTagsCommand(context));
        Subcommands.Add(new ServiceUntagCommand(context));
    }
}

public sealed class ServiceRegisterCommand : ClientCommand
{
    private readonly Option<string> _file = new("--file", "-f")
    {
        Description = "A Consul service definition (JSON or YAML): bare, {\"service\": …}, {\"services\": […]} or a list; - reads stdin",
        HelpName = "FILE",
        Required = true,
    };

    public ServiceRegisterCommand(CliContext context) : base("register", "Register an external service with its checks (Consul's agent API)", context)
    {
        Options.Add(_file);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var file = result.GetValue(_file)!;
        foreach (var def in Definitions(AppFile.Read(file), file))
        {
            await session.Client.RegisterServiceAsync(def, ct);
            var name = def.EnumerateObject().FirstOrDefault(p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase)).Value;
            if (!session.Json) session.Out.WriteLine($"registered service {(name.ValueKind == JsonValueKind.String ? name.GetString() : "?")}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>A bare definition, Consul's config-file forms {"service": {...}} and {"services": [...]}, or an array of definitions.</summary>
    private static List<JsonElement> Definitions(JsonElement doc, string file)
    {
        if (doc.ValueKind == JsonValueKind.Array) return doc.EnumerateArray().ToList();
        if (doc.ValueKind != JsonValueKind.Object) throw new CliException($"{file}: a service definition must be a JSON/YAML object");
        foreach (var p in doc.EnumerateObject())
        {
            if (p.Name.Equals("service", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Object) return [p.Value];
            if (p.Name.Equals("services", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Array) return p.Value.EnumerateArray().ToList();
        }
        return [doc];
    }
}

public sealed class ServiceDeregisterCommand : ClientCommand
{
    private readonly Argument<string> _id = new("ID") { Description = "The service id it was registered with" };

    public ServiceDeregisterCommand(CliContext context) : base("deregister", "Remove an external service and its checks", context)
    {
        Arguments.Add(_id);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var id = result.GetValue(_id)!;
        await session.Client.DeregisterServiceAsync(id, ct);
        if (!session.Json) session.Out.WriteLine($"deregistered service {id}");
        return ExitCodes.Ok;
    }
}

public sealed class ServiceTagsCommand : ClientCommand
{
    private readonly Argument<string> _task = new("TASK") { Description = "A task id" };
    private readonly Argument<string[]> _tags = new("TAG") { Description = "Tags to set (comma-separated or several); none prints the current tags", Arity = ArgumentArity.ZeroOrMore };

    public ServiceTagsCommand(CliContext context) : base("tags", "Print or set a task's service tags at runtime (e.g. master/slave for failover names)", context)
    {
        Arguments.Add(_task);
        Arguments.Add(_tags);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var taskId = result.GetValue(_task)!;
        var tags = (result.GetValue(_tags) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        var r = tags.Count == 0 ? await session.Client.GetTaskTagsAsync(taskId, ct) : await session.Client.SetTaskTagsAsync(taskId, tags, ct);
        Write(session, r);
        return ExitCodes.Ok;
    }

    public static void Write(CommandSession session, TaskTagsResponse r)
    {
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(r, TaskTagsJsonContext.Default.TaskTagsResponse));
        else session.Out.WriteLine($"{r.TaskId} ({r.Service}): {string.Join(",", r.Tags)}{(r.Overridden ? "" : " (from the app's DROVER_TAGS label)")}");
    }
}

public sealed class ServiceUntagCommand : ClientCommand
{
    private readonly Argument<string> _task = new("TASK") { Description = "A task id" };

    public ServiceUntagCommand(CliContext context) : base("untag", "Drop a task's runtime tags (back to the app's DROVER_TAGS label)", context)
    {
        Arguments.Add(_task);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        ServiceTagsCommand.Write(session, await session.Client.ClearTaskTagsAsync(result.GetValue(_task)!, ct));
        return ExitCodes.Ok;
    }
}
