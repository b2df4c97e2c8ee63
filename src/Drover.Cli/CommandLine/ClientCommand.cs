using System.CommandLine;
using Drover.Api.Client;

namespace Drover.Cli.CommandLine;

/// <summary>What a command that talks to the server gets: the client, the output format and the console.</summary>
public sealed record CommandSession(DroverClient Client, bool Json, CliConsole Console, TimeProvider Time)
{
    public TextWriter Out => Console.Out;
}

/// <summary>
/// Base of every command that talks to the server (one class per command, Aspire's style): adds the
/// client options, builds the session, and runs <see cref="ExecuteAsync"/>. Errors propagate to
/// <see cref="CliRunner"/>, which prints one line and picks the exit code.
/// </summary>
public abstract class ClientCommand : Command
{
    protected ClientCommand(string name, string description, CliContext context) : base(name, description)
    {
        Context = context;
        context.Client.AddTo(this);
        SetAction(async (result, ct) =>
        {
            using var client = context.Client.CreateClient(result, context.Console.Err);
            var session = new CommandSession(client, context.Client.Json(result), context.Console, context.Time);
            return await ExecuteAsync(result, session, ct);
        });
    }

    protected CliContext Context { get; }

    protected abstract Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct);
}

/// <summary>Shared by every command of one invocation.</summary>
public sealed class CliContext(CliConsole console, TimeProvider time)
{
    public CliConsole Console { get; } = console;
    public TimeProvider Time { get; } = time;
    public ClientOptions Client { get; } = new();
    /// <summary>Answers yes/no questions; null when nobody can answer (not a terminal).</summary>
    public Func<string, bool>? Confirm { get; init; }
    /// <summary>Hands each key pressed to the callback until cancelled (live views: q quits); null when there is no keyboard (input redirected).</summary>
    public Func<Action<char>, CancellationToken, Task>? ReadKeys { get; init; }
}
