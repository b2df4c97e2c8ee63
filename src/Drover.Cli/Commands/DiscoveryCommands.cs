using System.Text;
using System.Text.Json;
using Drover.Api.Consul;

namespace Drover.Cli.Commands;

/// <summary>drover services, drover kv get|put|rm|ls, drover service register|deregister|tags.</summary>
public static class DiscoveryCommands
{
    /// <summary>services: every service with instance counts by health; services NAME: its instances.</summary>
    public static async Task<int> ServicesAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var name = args.Positionals.Count > 0 ? args.Positionals[0] : null;
        args.RejectUnknown();
        if (name is not null)
        {
            var entries = await ctx.Client.GetHealthServiceAsync(name, ct: ct);
            if (ctx.Json)
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(entries.ToList(), ConsulJsonContext.Default.ListConsulServiceEntry));
                return ExitCodes.Ok;
            }
            if (entries.Count == 0) throw new CliException($"service {name} has no instances");
            var t = new Table("ID", "NODE", "ADDRESS", "PORT", "HEALTH", "TAGS");
            foreach (var e in entries)
                t.Add(e.Service.Id, e.Node.Node, e.Service.Address.Length > 0 ? e.Service.Address : e.Node.Address, e.Service.Port, Worst(e), string.Join(",", e.Service.Tags));
            t.Write(ctx.Out);
            return ExitCodes.Ok;
        }
        var services = await ctx.Client.GetCatalogServicesAsync(ct);
        var rows = new List<(string Name, IReadOnlyList<ConsulServiceEntry> Entries, List<string> Tags)>();
        foreach (var (svc, tags) in services.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            rows.Add((svc, await ctx.Client.GetHealthServiceAsync(svc, ct: ct), tags));
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(services.ToDictionary(kv => kv.Key, kv => kv.Value), ConsulJsonContext.Default.DictionaryStringListString));
            return ExitCodes.Ok;
        }
        var table = new Table("SERVICE", "INSTANCES", "PASSING", "WARNING", "CRITICAL", "TAGS");
        foreach (var (svc, entries, tags) in rows)
        {
            var health = entries.Select(Worst).ToList();
            table.Add(svc, entries.Count, health.Count(h => h == "passing"), health.Count(h => h == "warning"), health.Count(h => h == "critical"), string.Join(",", tags));
        }
        table.Write(ctx.Out);
        return ExitCodes.Ok;
    }

    private static string Worst(ConsulServiceEntry e)
    {
        var statuses = e.Checks.Select(c => c.Status).ToList();
        return statuses.Contains("critical") ? "critical" : statuses.Contains("warning") ? "warning" : "passing";
    }

    /// <summary>kv get KEY | kv get --recurse PREFIX | kv ls [PREFIX] | kv put KEY VALUE|-|@FILE [--flags N] [--cas N] | kv rm KEY [--recurse].</summary>
    public static async Task<int> KvAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var sub = args.Positional(0, "kv subcommand (get, put, rm, ls)");
        switch (sub)
        {
            case "get":
            {
                var key = args.Positional(1, "key");
                var recurse = args.Flag("--recurse");
                args.RejectUnknown();
                if (recurse)
                {
                    var pairs = await ctx.Client.KvListAsync(key, ct);
                    if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(pairs.ToList(), ConsulJsonContext.Default.ListConsulKvPair));
                    else foreach (var p in pairs) ctx.Out.WriteLine($"{p.Key}:{Encoding.UTF8.GetString(p.DecodedValue())}");
                    return ExitCodes.Ok;
                }
                var pair = await ctx.Client.KvGetAsync(key, ct) ?? throw new CliException($"key {key} does not exist");
                if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(new List<ConsulKvPair> { pair }, ConsulJsonContext.Default.ListConsulKvPair));
                else ctx.Out.WriteLine(Encoding.UTF8.GetString(pair.DecodedValue()));
                return ExitCodes.Ok;
            }
            case "ls":
            {
                var prefix = args.Positionals.Count > 1 ? args.Positionals[1] : "";
                args.RejectUnknown();
                var keys = await ctx.Client.KvKeysAsync(prefix, "/", ct);
                if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(keys.ToList(), ConsulJsonContext.Default.ListString));
                else foreach (var k in keys) ctx.Out.WriteLine(k);
                return ExitCodes.Ok;
            }
            case "put":
            {
                var key = args.Positional(1, "key");
                var value = ReadValue(args.Positional(2, "value (or - for stdin, @FILE for a file)"));
                var flags = ULong(args.Get("--flags"), "--flags");
                var cas = ULong(args.Get("--cas"), "--cas");
                args.RejectUnknown();
                var ok = await ctx.Client.KvPutAsync(key, value, flags, cas, ct);
                if (!ok) throw new CliException($"check-and-set on {key} failed: the key changed (or exists, with --cas 0)");
                if (!ctx.Json) ctx.Out.WriteLine($"Success! Data written to: {key}");
                else ctx.Out.WriteLine("true");
                return ExitCodes.Ok;
            }
            case "rm":
            {
                var key = args.Positional(1, "key");
                var recurse = args.Flag("--recurse");
                args.RejectUnknown();
                await ctx.Client.KvDeleteAsync(key, recurse, ct);
                if (!ctx.Json) ctx.Out.WriteLine(recurse ? $"Success! Deleted keys with prefix: {key}" : $"Success! Deleted key: {key}");
                else ctx.Out.WriteLine("true");
                return ExitCodes.Ok;
            }
            default:
                throw new UsageException($"unknown kv subcommand '{sub}': use get, put, rm or ls");
        }
    }

    /// <summary>service register -f FILE | service deregister ID | service tags TASK_ID [TAG...] | service untag TASK_ID.</summary>
    public static async Task<int> ServiceAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var sub = args.Positional(0, "service subcommand (register, deregister, tags, untag)");
        switch (sub)
        {
            case "register":
            {
                var file = args.Get("-f", "--file") ?? throw new UsageException("service register needs -f FILE (a Consul service definition, JSON or YAML; - for stdin)");
                args.RejectUnknown();
                var defs = ServiceDefinitions(AppFile.Read(file), file);
                foreach (var def in defs)
                {
                    await ctx.Client.RegisterServiceAsync(def, ct);
                    var name = def.EnumerateObject().FirstOrDefault(p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase)).Value;
                    if (!ctx.Json) ctx.Out.WriteLine($"registered service {(name.ValueKind == JsonValueKind.String ? name.GetString() : "?")}");
                }
                return ExitCodes.Ok;
            }
            case "deregister":
            {
                var id = args.Positional(1, "service id");
                args.RejectUnknown();
                await ctx.Client.DeregisterServiceAsync(id, ct);
                if (!ctx.Json) ctx.Out.WriteLine($"deregistered service {id}");
                return ExitCodes.Ok;
            }
            case "tags":
            {
                var taskId = args.Positional(1, "task id");
                args.RejectUnknown();
                var tags = args.Positionals.Skip(2).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
                var result = tags.Count == 0 ? await ctx.Client.GetTaskTagsAsync(taskId, ct) : await ctx.Client.SetTaskTagsAsync(taskId, tags, ct);
                WriteTags(ctx, result);
                return ExitCodes.Ok;
            }
            case "untag":
            {
                var taskId = args.Positional(1, "task id");
                args.RejectUnknown();
                WriteTags(ctx, await ctx.Client.ClearTaskTagsAsync(taskId, ct));
                return ExitCodes.Ok;
            }
            default:
                throw new UsageException($"unknown service subcommand '{sub}': use register, deregister, tags or untag");
        }
    }

    private static void WriteTags(CommandContext ctx, TaskTagsResponse r)
    {
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(r, TaskTagsJsonContext.Default.TaskTagsResponse));
        else ctx.Out.WriteLine($"{r.TaskId} ({r.Service}): {string.Join(",", r.Tags)}{(r.Overridden ? "" : " (from the app's DROVER_TAGS label)")}");
    }

    /// <summary>A bare definition, Consul's config-file forms {"service": {...}} and {"services": [...]}, or an array of definitions.</summary>
    private static List<JsonElement> ServiceDefinitions(JsonElement doc, string file)
    {
        if (doc.ValueKind == JsonValueKind.Array) return doc.EnumerateArray().ToList();
        if (doc.ValueKind != JsonValueKind.Object) throw new CliException($"{file}: a service definition must be a JSON/YAML object");
        foreach (var p in doc.EnumerateObject())
        {
            if (p.Name.Equals("service", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Object) return [p.Value];
            if (p.Name.Equals("services", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Array) return p.Value.EnumerateArray().ToList();
        }
        return [doc];
    }

    private static byte[] ReadValue(string v)
    {
        if (v == "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var ms = new MemoryStream();
            stdin.CopyTo(ms);
            return ms.ToArray();
        }
        if (v.StartsWith('@'))
        {
            var path = v[1..];
            return File.Exists(path) ? File.ReadAllBytes(path) : throw new CliException($"{path}: no such file");
        }
        return Encoding.UTF8.GetBytes(v);
    }

    private static ulong? ULong(string? s, string name) =>
        s is null ? null : ulong.TryParse(s, out var n) ? n : throw new UsageException($"{name} expects a non-negative integer, got '{s}'");
}
