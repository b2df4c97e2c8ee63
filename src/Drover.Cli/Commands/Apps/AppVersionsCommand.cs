using System.CommandLine;
using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Apps;

/// <summary>drover app versions ID: the stored versions, newest first.</summary>
public sealed class AppVersionsCommand : ClientCommand
{
    private readonly Argument<string> _id;

    public AppVersionsCommand(CliContext context) : base("versions", "List an app's stored versions, newest first", context)
    {
        _id = AppIdArgument.Create(context);
        Arguments.Add(_id);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var versions = await session.Client.ListVersionsAsync(result.GetValue(_id)!, ct);
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(new VersionsResponse(versions), ApiJsonContext.Default.VersionsResponse));
        else foreach (var v in versions.OrderDescending(StringComparer.Ordinal)) session.Out.WriteLine(v);
        return ExitCodes.Ok;
    }
}
