using System.CommandLine;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Deployments;

/// <summary>drover events [--type T]...: Marathon's event stream, one line per event.</summary>
public sealed class EventsCommand : ClientCommand
{
    private static readonly string[] KnownTypes =
    [
        "status_update_event", "instance_changed_event", "health_status_changed_event", "instance_health_changed_event",
        "failed_health_check_event", "unhealthy_task_kill_event", "unhealthy_instance_kill_event", "deployment_info",
        "deployment_success", "deployment_failed", "deployment_step_success", "deployment_step_failure", "api_post_event",
        "app_terminated_event", "event_stream_attached", "event_stream_detached",
    ];

    private readonly Option<string[]> _types = new("--type", "-t")
    {
        Description = "Only events of these types (repeat or separate with commas), e.g. deployment_success",
        HelpName = "TYPE",
        AllowMultipleArgumentsPerToken = false,
    };

    public EventsCommand(CliContext context) : base("events", "Stream Marathon's events (Server-Sent Events) until Ctrl-C", context)
    {
        _types.CompletionSources.Add(KnownTypes);
        Options.Add(_types);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var types = (result.GetValue(_types) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        await foreach (var e in session.Client.StreamEventsAsync(types, ct))
        {
            if (session.Json) session.Out.WriteLine(e.Data.GetRawText());
            else session.Out.WriteLine($"{Field(e.Data, "timestamp")} {e.Type} {Summary(e)}".TrimEnd());
            session.Out.Flush();
        }
        return ExitCodes.Ok;
    }

    private static string Field(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";

    private static string Summary(DroverClient.StreamEvent e) => e.Type switch
    {
        "status_update_event" => $"{Field(e.Data, "appId")} {Field(e.Data, "taskId")} {Field(e.Data, "taskStatus")} {Field(e.Data, "message")}",
        "deployment_info" or "deployment_step_success" or "deployment_step_failure" =>
            e.Data.TryGetProperty("plan", out var plan) ? Field(plan, "id") : "",
        "deployment_success" => Field(e.Data, "id"),
        "deployment_failed" => $"{Field(e.Data, "id")}: {Field(e.Data, "reason")}",
        "health_status_changed_event" => $"{Field(e.Data, "appId")} {Field(e.Data, "instanceId")} alive={Field(e.Data, "alive")}",
        "api_post_event" => Field(e.Data, "uri"),
        "app_terminated_event" => Field(e.Data, "appId"),
        _ => "",
    };
}
