using System.CommandLine;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Apps;

/// <summary>The &lt;ID&gt; argument of app commands, completed from the server's app list.</summary>
public static class AppIdArgument
{
    public static Argument<string> Create(CliContext context, string description = "App id, e.g. /prod/web") =>
        WithAppCompletion(new Argument<string>("ID") { Description = description }, context);

    public static Argument<T> WithAppCompletion<T>(Argument<T> argument, CliContext context) =>
        ServerCompletions.Add(argument, context, async (client, ct) => (await client.ListAppsAsync(false, ct)).Select(a => a.Id));
}
