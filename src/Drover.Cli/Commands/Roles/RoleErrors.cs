using Drover.Cli.CommandLine;
using Drover.Core.Hosting;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// Start-up failures of the roles as one clear line: which data directory is locked and by which
/// pid, which address is taken and the option that changes it. Null: not a start-up problem we know.
/// </summary>
public static class RoleErrors
{
    public static Exception? Server(Exception ex) => Common(ex, agentListenOption: null);

    /// <param name="listenOption">The option that sets the agent's address: --listen for drover agent, --agent-listen for drover up.</param>
    public static Func<Exception, Exception?> Agent(string listenOption) => ex => ex switch
    {
        Drover.Agent.AgentConfigurationException a => new UsageException(a.Message),
        _ => Common(ex, listenOption),
    };

    private static Exception? Common(Exception ex, string? agentListenOption) => ex switch
    {
        ArgumentException a => new UsageException(a.Message),
        Drover.Server.StoreUnavailableException s => new CliException(s.Message),
        DataDirLockedException d => new CliException($"{d.Message}: stop that one first, or give this one another --data-dir"),
        ListenAddressInUseException l => new CliException($"{l.Message}: {Remedy(l.Listener, agentListenOption)}"),
        _ => null,
    };

    private static string Remedy(string listener, string? agentListenOption) => listener switch
    {
        ListenAddressInUseException.Http => "choose another address with --listen",
        ListenAddressInUseException.Https => "choose another address with --tls-listen",
        ListenAddressInUseException.Dns => "choose another address with --dns-listen (or --dns-listen off)",
        _ => $"choose another address with {agentListenOption ?? "--listen"} (port 0 picks a free one)",
    };
}
