using System.CommandLine;
using System.Text;
using System.Text.Json;
using Drover.Api.Consul;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Discovery;

/// <summary>drover kv get|put|rm|ls: the Consul-compatible key/value store.</summary>
public sealed class KvCommand : Command
{
    public KvCommand(CliContext context) : base("kv", "Read and write the Consul-compatible key/value store")
    {
        Subcommands.Add(new KvGetCommand(context));
        Subcommands.Add(new KvPutCommand(context));
        Subcommands.Add(new KvRemoveCommand(context));
        Subcommands.Add(new KvListCommand(context));
    }
}

public sealed class KvGetCommand : ClientCommand
{
    private readonly Argument<string> _key = new("KEY") { Description = "The key (with --recurse: a prefix)" };
    private readonly Option<bool> _recurse = new("--recurse") { Description = "Every key under the prefix, as key:value lines" };

    public KvGetCommand(CliContext context) : base("get", "Print a key's value", context)
    {
        Arguments.Add(_key);
        Options.Add(_recurse);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var key = result.GetValue(_key)!;
        if (result.GetValue(_recurse))
        {
            var pairs = await session.Client.KvListAsync(key, ct);
            if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(pairs.ToList(), ConsulJsonContext.Default.ListConsulKvPair));
            else foreach (var p in pairs) session.Out.WriteLine($"{p.Key}:{Encoding.UTF8.GetString(p.DecodedValue())}");
            return ExitCodes.Ok;
        }
        var pair = await session.Client.KvGetAsync(key, ct) ?? throw new CliException($"key {key} does not exist");
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(new List<ConsulKvPair> { pair }, ConsulJsonContext.Default.ListConsulKvPair));
        else session.Out.WriteLine(Encoding.UTF8.GetString(pair.DecodedValue()));
        return ExitCodes.Ok;
    }
}

public sealed class KvPutCommand : ClientCommand
{
    private readonly Argument<string> _key = new("KEY") { Description = "The key" };
    private readonly Argument<string> _value = new("VALUE") { Description = "The value; - reads stdin, @FILE reads a file" };
    private readonly Option<ulong?> _flags = new("--flags") { Description = "Opaque 64-bit flags stored with the value", HelpName = "N" };
    private readonly Option<ulong?> _cas = new("--cas") { Description = "Check-and-set: write only if the key's ModifyIndex is N (0: only if it does not exist)", HelpName = "N" };

    public KvPutCommand(CliContext context) : base("put", "Write a key", context)
    {
        Arguments.Add(_key);
        Arguments.Add(_value);
        Options.Add(_flags);
        Options.Add(_cas);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var key = result.GetValue(_key)!;
        var value = ReadValue(result.GetValue(_value)!);
        var ok = await session.Client.KvPutAsync(key, value, result.GetValue(_flags), result.GetValue(_cas), ct);
        if (!ok) throw new CliException($"check-and-set on {key} failed: the key changed (or exists, with --cas 0)");
        session.Out.WriteLine(session.Json ? "true" : $"Success! Data written to: {key}");
        return ExitCodes.Ok;
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
            try { return File.ReadAllBytes(path); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {ex.Message}"); }
        }
        return Encoding.UTF8.GetBytes(v);
    }
}

public sealed class KvRemoveCommand : ClientCommand
{
    private readonly Argument<string> _key = new("KEY") { Description = "The key (with --recurse: a prefix)" };
    private readonly Option<bool> _recurse = new("--recurse") { Description = "Delete every key under the prefix" };

    public KvRemoveCommand(CliContext context) : base("rm", "Delete a key (or a prefix)", context)
    {
        Aliases.Add("delete");
        Arguments.Add(_key);
        Options.Add(_recurse);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var key = result.GetValue(_key)!;
        var recurse = result.GetValue(_recurse);
        await session.Client.KvDeleteAsync(key, recurse, ct);
        session.Out.WriteLine(session.Json ? "true" : recurse ? $"Success! Deleted keys with prefix: {key}" : $"Success! Deleted key: {key}");
        return ExitCodes.Ok;
    }
}

public sealed class KvListCommand : ClientCommand
{
    private readonly Argument<string> _prefix = new("PREFIX") { Description = "List keys under this prefix, one level deep", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };

    public KvListCommand(CliContext context) : base("ls", "List keys one level under a prefix", context)
    {
        Arguments.Add(_prefix);
    }

    protected override async Task<int> ExecuteAsync(ParseResult result, CommandSession session, CancellationToken ct)
    {
        var keys = await session.Client.KvKeysAsync(result.GetValue(_prefix) ?? "", "/", ct);
        if (session.Json) session.Out.WriteLine(JsonSerializer.Serialize(keys.ToList(), ConsulJsonContext.Default.ListString));
        else foreach (var k in keys) session.Out.WriteLine(k);
        return ExitCodes.Ok;
    }
}
