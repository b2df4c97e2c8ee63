using System.CommandLine;
using System.Text.Json;
using Drover.Api.Consul;
using Drover.Cli.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands.Discovery;

/// <summary>drover services [NAME]: the catalog with instance health, or one service's instances.</summary>
public sealed class ServicesCommand : ClientCommand
{
    private readonly Argument<string?> _name = new("NAME") { Description = "Show this service's instances", Arity = ArgumentArity.ZeroOrOne };

    public ServicesCommand(CliContext context) : base("services", "List services with instance health (Consul catalog), or one service's instances", context)
    {
        Arguments.Add(_name);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var name = result.GetValue(_name);
        if (name is not null) return await OneAsync(session, name, ct);
        var services = await session.Client.GetCatalogServicesAsync(ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(services.ToDictionary(kv => kv.Key, kv => kv.Value), ConsulJsonContext.Default.DictionaryStringListString));
            return ExitCodes.Ok;
        }
        var table = new Table("SERVICE~", "INSTANCES", "PASSING", "WARNING", "CRITICAL", "TAGS~");
        foreach (var (svc, tags) in services.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var health = (await session.Client.GetHealthServiceAsync(svc, ct: ct)).Select(Worst).ToList();
            table.Add(svc, health.Count, health.Count(h => h == "passing"), health.Count(h => h == "warning"), health.Count(h => h == "critical"), string.Join(",", tags));
        }
        table.Write(session.Out, session.Console.Width);
        return ExitCodes.Ok;
    }

    private static async Task<int> OneAsync(CommandSession session, string name, CancellationToken ct)
    {
        var entries = await session.Client.GetHealthServiceAsync(name, ct: ct);
        if (session.Json)
        {
            session.Out.WriteLine(JsonSerializer.Serialize(entries.ToList(), ConsulJsonContext.Default.ListConsulServiceEntry));
            return ExitCodes.Ok;
        }
        if (entries.Count == 0) throw new CliException($"service {name} has no instances (see 'drover services')");
        var t = new Table("ID~", "NODE", "ADDRESS", "PORT", "HEALTH", "TAGS~");
        foreach (var e in entries)
            t.Add(e.Service.Id, e.Node.Node, e.Service.Address.Length > 0 ? e.Service.Address : e.Node.Address, e.Service.Port, Worst(e), string.Join(",", e.Service.Tags));
        t.Write(session.Out, session.Console.Width);
        return ExitCodes.Ok;
    }

    private static string Worst(ConsulServiceEntry e)
    {
        var statuses = e.Checks.Select(c => c.Status).ToList();
        return statuses.Contains("critical") ? "critical" : statuses.Contains("warning") ? "warning" : "passing";
    }
}
