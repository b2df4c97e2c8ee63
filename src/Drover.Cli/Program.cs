using Drover.Api.Client;
using Drover.Cli.Commands;

namespace Drover.Cli;

public static class Program
{
    /// <summary>Options that take no value, for every command.</summary>
    private static readonly HashSet<string> Flags = ["--dns-only-passing", "--force", "--follow", "--stderr", "--in-memory", "--json", "--help", "-h", "--no-lb", "--keep-tasks", "--no-wait", "--recurse"];

    public const string Usage = """
        usage: drover <command> [options]

        roles:
          up                         all-in-one: server + one agent (state in --data-dir, default ~/.drover)
          server                     the API server and scheduler
          agent --join URL           a node agent that runs tasks
                                     server/up options: --listen, --data-dir, --token, --agent-timeout,
                                     --dns-listen host:port|off (default 127.0.0.1:8600), --domain D,
                                     --recursor host[:port]..., --dns-only-passing

        apps:
          app apply -f FILE          create or update an app from Marathon JSON or YAML, showing the
                                     deployment until it succeeds or fails (--no-wait to return at once)
          app ls                     list apps
          app show ID                show one app with its tasks
          app scale ID N             set the instance count
          app restart ID             replace every task (rolling)
          app rm ID                  delete an app and kill its tasks
          app versions ID            list stored versions
          app rollback ID [--to V]   roll back to a stored version (default: the previous config)
          deployments                running deployments
          deployment rm ID [--force] revert a deployment (--force: just stop it)
          events [--type T]...       stream Marathon events (Server-Sent Events)
          dns NAME [TYPE]            ask Drover's DNS (--dns host:port, default 127.0.0.1:8600)
          ps [ID]                    list tasks (of one app)
          kill TASK...               kill tasks (they are replaced)
          logs [-f] [--stderr] TASK|APP   print (and follow) task output
          agents                     list agents with their resources
          queue                      instances waiting to be placed, with the reason

        discovery:
          services [NAME]            services with instance health (or one service's instances)
          kv get|put|rm|ls KEY ...   Consul KV: get [--recurse], put KEY VALUE|-|@FILE [--flags N] [--cas N], rm [--recurse], ls [PREFIX]
          service register -f FILE   register an external service (Consul service definition); deregister ID; tags TASK [TAG...]; untag TASK

        global options:
          --server URL               server to talk to (env DROVER_SERVER, default http://127.0.0.1:8080)
          --token T                  API token (env DROVER_TOKEN)
          --output table|json        output format (default table)
        """;

    public static async Task<int> Main(string[] argv)
    {
        if (argv.Length == 0 || argv[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return argv.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });
        try
        {
            var cmd = argv[0];
            var rest = argv.Skip(1).ToList();
            if (cmd is "app" or "deployment")
            {
                if (rest.Count == 0) throw new UsageException(cmd == "app" ? "app needs a subcommand: apply, ls, show, scale, restart, rm, versions, rollback" : "deployment needs a subcommand: rm");
                cmd = "app " + rest[0];
                rest = rest.Skip(1).ToList();
            }
            var args = CliArgs.Parse(rest, cmd == "logs" ? [.. Flags, "-f"] : Flags);
            return cmd switch
            {
                "up" => await RoleCommands.UpAsync(args, cts.Token),
                "server" => await RoleCommands.ServerAsync(args, cts.Token),
                "agent" => await RoleCommands.AgentAsync(args, cts.Token),
                _ => await RunClientCommandAsync(cmd, args, cts.Token),
            };
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"drover: {ex.Message}");
            Console.Error.WriteLine("run 'drover --help' for usage");
            return ExitCodes.Usage;
        }
        catch (DroverApiException ex)
        {
            Console.Error.WriteLine($"drover: {ex}");
            return ExitCodes.Failed;
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"drover: cannot reach the server: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine($"drover: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    private static async Task<int> RunClientCommandAsync(string cmd, CliArgs args, CancellationToken ct)
    {
        var server = args.Get("--server") ?? Environment.GetEnvironmentVariable("DROVER_SERVER") ?? "http://127.0.0.1:8080";
        var token = args.Get("--token") ?? Environment.GetEnvironmentVariable("DROVER_TOKEN");
        var output = args.Get("--output", "-o") ?? (args.Flag("--json") ? "json" : "table");
        if (output is not ("table" or "json")) throw new UsageException($"--output must be table or json, not '{output}'");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri)) throw new UsageException($"--server '{server}' is not a URL");
        using var client = new DroverClient(uri, token);
        var ctx = new CommandContext(client, output == "json", Console.Out);
        Func<CliArgs, CommandContext, CancellationToken, Task<int>> handler = cmd switch
        {
            "app apply" => AppCommands.ApplyAsync,
            "app ls" => AppCommands.ListAsync,
            "app show" => AppCommands.ShowAsync,
            "app scale" => AppCommands.ScaleAsync,
            "app restart" => AppCommands.RestartAsync,
            "app rm" => AppCommands.RemoveAsync,
            "app versions" => AppCommands.VersionsAsync,
            "app rollback" => DeploymentCommands.RollbackAsync,
            "deployments" => DeploymentCommands.ListAsync,
            "deployment rm" => DeploymentCommands.RemoveAsync,
            "events" => DeploymentCommands.EventsAsync,
            "dns" => DnsCommands.LookupAsync,
            "ps" => TaskCommands.PsAsync,
            "kill" => TaskCommands.KillAsync,
            "logs" => TaskCommands.LogsAsync,
            "agents" => ClusterCommands.AgentsAsync,
            "queue" => ClusterCommands.QueueAsync,
            "services" => DiscoveryCommands.ServicesAsync,
            "kv" => DiscoveryCommands.KvAsync,
            "service" => DiscoveryCommands.ServiceAsync,
            _ => throw new UsageException($"unknown command '{cmd}'"),
        };
        return await handler(args, ctx, ct);
    }
}

/// <summary>A failure to report on one line (exit code 1).</summary>
public sealed class CliException(string message) : Exception(message);

public sealed record CommandContext(DroverClient Client, bool Json, TextWriter Out);
