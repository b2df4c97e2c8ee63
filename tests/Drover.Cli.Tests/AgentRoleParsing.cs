using System.CommandLine;
using Drover.Agent;
using Drover.Cli.Commands.Roles;

namespace Drover.Cli.Tests;

/// <summary>Agent options parsed and read the way drover agent and drover up do (both use <see cref="AgentRoleOptions"/>).</summary>
internal static class AgentRoleParsing
{
    public static (AgentRoleOptions Options, ParseResult Result) Parse(params string[] args)
    {
        var options = new AgentRoleOptions("--agent-listen");
        var command = new RootCommand();
        options.AddTo(command);
        return (options, command.Parse(args));
    }

    public static AgentOptions Read(AgentRoleOptions options, ParseResult result) =>
        options.Read(result, "http://127.0.0.1:8080", "/tmp/drover-x", null);
}
