using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Cluster;

/// <summary>drover queue: instances waiting to be placed, with the agents' reasons and any backoff.</summary>
public sealed class QueueCommand : ClientCommand
{
    public QueueCommand(CliContext context) : base("queue", "List instances waiting to be placed, with why (as /v2/queue)", context) { }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var queue = await session.Client.GetQueueAsync(ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(new QueueResponse(queue), ApiJsonContext.Default.QueueResponse));
            return ExitCodes.Ok;
        }
        var t = new Table("APP~", "WAITING", "DELAY", "REASONS~");
        foreach (var q in queue)
        {
            var reasons = q.ProcessedOffersSummary?.RejectSummaryLastOffers.Where(r => r.Declined > 0).Select(r => $"{r.Reason} ({r.Declined}/{r.Processed} agents)") ?? [];
            t.Add(q.App.Id, q.Count, q.Delay.Overdue ? "-" : $"{q.Delay.TimeLeftSeconds:0.#}s", string.Join(", ", reasons));
        }
        t.Write(session.Out, session.Console.Width);
        return ExitCodes.Ok;
    }
}
