using System.CommandLine;
using System.CommandLine.Help;
using System.Net;
using System.Net.Sockets;
using Drover.Api.Client;

namespace Drover.Cli.CommandLine;

/// <summary>
/// Runs one command line: parse errors and failures become one line on stderr with exit code 2
/// (usage) or 1 (anything else) — never a stack trace (DROVER_DEBUG=1 adds it).
/// </summary>
public static class CliRunner
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken ct)
    {
        var root = DroverRootCommand.Build(context);
        var config = new InvocationConfiguration
        {
            Output = context.Console.Out,
            Error = context.Console.Err,
            EnableDefaultExceptionHandler = false,
            // Ctrl-C and SIGTERM are handled by Program (drover up needs more than 2 s to stop its tasks).
            ProcessTerminationTimeout = null,
        };
        if (args.Length > 0 && args[0] == CompletionCommand.HiddenName)
        {
            var index = args.Length > 1 && int.TryParse(args[1], out var i) ? i : 0;
            foreach (var c in CompletionCommand.Candidates(root, args.Skip(2).ToList(), index)) context.Console.Out.WriteLine(c);
            return ExitCodes.Ok;
        }
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync(config, ct);
            context.Console.Err.WriteLine("drover: no command given: pick one of the commands above");
            return ExitCodes.Usage;
        }
        var result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is not HelpAction)
        {
            context.Console.Err.WriteLine($"drover: {ParseErrorReporter.Describe(result)}");
            return ExitCodes.Usage;
        }
        try
        {
            return await result.InvokeAsync(config, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var (code, message) = Describe(ex, result);
            context.Console.Err.WriteLine($"drover: {message}");
            if (Environment.GetEnvironmentVariable("DROVER_DEBUG") is "1") context.Console.Err.WriteLine(ex);
            return code;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C ends follows (logs -f, events, a deployment wait) normally
            return ExitCodes.Ok;
        }
    }

    public static (int Code, string Message) Describe(Exception ex, ParseResult result) => ex switch
    {
        UsageException u => (ExitCodes.Usage, $"{u.Message}; see '{ParseErrorReporter.CommandPath(result.CommandResult)} --help'"),
        CliException c => (ExitCodes.Failed, c.Message),
        DroverApiException a => (ExitCodes.Failed, ApiErrors.Describe(a)),
        Api.Security.ServerTrustException t => (ExitCodes.Failed, t.Message), // reached, but not trusted: "cannot reach" would mislead
        HttpRequestException h => (ExitCodes.Failed, $"cannot reach the server: {h.Message}"),
        TaskCanceledException or TimeoutException => (ExitCodes.Failed, "the server did not answer in time"),
        IOException io => (ExitCodes.Failed, io.Message),
        UnauthorizedAccessException u => (ExitCodes.Failed, u.Message),
        SocketException s => (ExitCodes.Failed, s.Message),
        _ => (ExitCodes.Failed, $"internal error: {ex.GetType().Name}: {ex.Message} (please report it; DROVER_DEBUG=1 shows the stack)"),
    };
}

/// <summary>Server errors worded for the CLI: the flag instead of the query parameter, the command instead of the URL.</summary>
public static class ApiErrors
{
    public static string Describe(DroverApiException e)
    {
        var message = e.Message
            .Replace("Override with the option '?force=true'.", "Override it with --force.", StringComparison.Ordinal)
            .Replace("?force=true", "--force", StringComparison.Ordinal);
        var view = message.IndexOf(" View details at '/v2/deployments/", StringComparison.Ordinal);
        if (view >= 0) message = message[..view] + " See 'drover deployments'.";
        var details = e.Details.Count == 0 ? "" : ": " + string.Join("; ", e.Details.Select(d => $"{d.Path}: {string.Join(", ", d.Errors)}"));
        return $"{message.TrimEnd()}{details} ({(int)e.Status} {Reason(e.Status)})";
    }

    private static string Reason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => "not found",
        HttpStatusCode.Conflict => "conflict",
        HttpStatusCode.UnprocessableEntity => "invalid",
        HttpStatusCode.BadRequest => "bad request",
        HttpStatusCode.Unauthorized => "unauthorized",
        HttpStatusCode.Forbidden => "forbidden",
        HttpStatusCode.RequestEntityTooLarge => "too large",
        _ => status.ToString(),
    };
}
