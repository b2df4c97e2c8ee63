using System.CommandLine;
using System.CommandLine.Completions;
using Drover.Api.Client;

namespace Drover.Cli.CommandLine;

/// <summary>Completions that ask the server (app ids, deployment ids): one quick try, nothing when it does not answer.</summary>
public static class ServerCompletions
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    public static Argument<T> Add<T>(Argument<T> argument, CliContext context, Func<DroverClient, CancellationToken, Task<IEnumerable<string>>> ask)
    {
        argument.CompletionSources.Add(ctx => Ask(ctx, context, ask));
        return argument;
    }

    private static IEnumerable<CompletionItem> Ask(CompletionContext ctx, CliContext context, Func<DroverClient, CancellationToken, Task<IEnumerable<string>>> ask)
    {
        try
        {
            using var client = context.Client.CreateClient(ctx.ParseResult);
            using var timeout = new CancellationTokenSource(Patience);
            return ask(client, timeout.Token).GetAwaiter().GetResult().Select(v => new CompletionItem(v)).ToList();
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or UsageException or DroverApiException)
        {
            return [];
        }
    }
}
