using System.CommandLine;
using System.CommandLine.Invocation;
using Drover.Cli.Commands.Apps;
using Drover.Cli.Commands.Cluster;
using Drover.Cli.Commands.Deployments;
using Drover.Cli.Commands.Discovery;
using Drover.Cli.Commands.Roles;
using Drover.Cli.Commands.Tasks;

namespace Drover.Cli.CommandLine;

/// <summary>The whole command tree: every command is its own class; groups (app, deployment, kv, service) only hold subcommands.</summary>
public static class DroverRootCommand
{
    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("""
            Drover: a cluster platform for long-running services. It speaks Marathon's /v2 API, a subset of
            Consul's /v1 API and DNS. Start a cluster with 'drover up', then deploy with 'drover app apply -f app.json'.
            Exit codes: 0 ok, 1 the server refused or something failed, 2 the command line is wrong.
            """);
        foreach (var v in root.Options.OfType<VersionOption>()) v.Action = new PrintVersion(context);

        root.Subcommands.Add(new UpCommand(context));
        root.Subcommands.Add(new ServerCommand(context));
        root.Subcommands.Add(new AgentCommand(context));
        root.Subcommands.Add(new LbCommand(context));

        var app = new Command("app", "Create, change, scale, roll back and remove apps (Marathon app definitions)");
        app.Subcommands.Add(new AppApplyCommand(context));
        app.Subcommands.Add(new AppListCommand(context));
        app.Subcommands.Add(new AppShowCommand(context));
        app.Subcommands.Add(new AppScaleCommand(context));
        app.Subcommands.Add(new AppRestartCommand(context));
        app.Subcommands.Add(new AppRemoveCommand(context));
        app.Subcommands.Add(new AppVersionsCommand(context));
        app.Subcommands.Add(new AppRollbackCommand(context));
        root.Subcommands.Add(app);

        var deployment = new Command("deployment", "List and revert deployments");
        deployment.Subcommands.Add(new DeploymentListCommand(context));
        deployment.Subcommands.Add(new DeploymentRemoveCommand(context));
        root.Subcommands.Add(deployment);
        root.Subcommands.Add(new DeploymentListCommand(context, "deployments"));
        root.Subcommands.Add(new EventsCommand(context));

        root.Subcommands.Add(new PsCommand(context));
        root.Subcommands.Add(new LogsCommand(context));
        root.Subcommands.Add(new TopCommand(context));
        root.Subcommands.Add(new KillCommand(context));
        root.Subcommands.Add(new AgentsCommand(context));
        root.Subcommands.Add(new StatusCommand(context));
        root.Subcommands.Add(new QueueCommand(context));

        root.Subcommands.Add(new ServicesCommand(context));
        root.Subcommands.Add(new ServiceCommand(context));
        root.Subcommands.Add(new KvCommand(context));
        root.Subcommands.Add(new DnsCommand(context));
        root.Subcommands.Add(new CompletionCommand(context));
        return root;
    }

    private sealed class PrintVersion(CliContext context) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            context.Console.Out.WriteLine(VersionText.Full());
            return ExitCodes.Ok;
        }
    }
}
