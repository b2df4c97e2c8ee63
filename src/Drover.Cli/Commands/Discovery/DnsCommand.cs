using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Drover.Cli.CommandLine;
using Drover.Dns;
using Drover.Dns.Wire;

namespace Drover.Cli.Commands.Discovery;

/// <summary>drover dns NAME [TYPE]: asks Drover's DNS server (UDP, then TCP when truncated) and prints the answer like dig.</summary>
public sealed class DnsCommand : Command
{
    private readonly Argument<string> _name = new("NAME") { Description = "The name to look up, e.g. web-prod.service.drover" };
    private readonly Argument<string> _type = new("TYPE") { Description = "Record type: A, AAAA, SRV, SOA, NS or ANY", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "A" };
    private readonly Option<string?> _dns = new("--dns") { Description = "The DNS server [env DROVER_DNS, default 127.0.0.1:8600]", HelpName = "HOST:PORT" };
    private readonly CliContext _context;

    public DnsCommand(CliContext context) : base("dns", "Look a name up in Drover's DNS and print the answer like dig")
    {
        _context = context;
        _type.CompletionSources.Add("A", "AAAA", "SRV", "SOA", "NS", "ANY");
        Arguments.Add(_name);
        Arguments.Add(_type);
        Options.Add(_dns);
        SetAction((result, ct) => LookupAsync(result, ct));
    }

    private async Task<int> LookupAsync(ParseResult result, CancellationToken ct)
    {
        var name = result.GetValue(_name)!;
        var typeText = result.GetValue(_type) ?? "A";
        var server = result.GetValue(_dns) ?? Environment.GetEnvironmentVariable("DROVER_DNS") ?? "127.0.0.1:8600";
        if (!Enum.TryParse<DnsRecordType>(typeText, ignoreCase: true, out var type) || int.TryParse(typeText, out _))
            throw new UsageException($"unknown record type '{typeText}' (use A, AAAA, SRV, SOA, NS, ANY)");
        IPEndPoint endpoint;
        try { endpoint = DnsOptions.ParseEndpoint(server, DnsOptions.DefaultPort); }
        catch (FormatException ex) { throw new UsageException($"--dns: {ex.Message}"); }
        DnsMessage query;
        try { query = DnsMessage.Query(name, type, (ushort)Random.Shared.Next(1, ushort.MaxValue), new DnsEdns()); }
        catch (Exception ex) when (ex is ArgumentException or FormatException) { throw new UsageException($"'{name}' is not a DNS name: {ex.Message}"); }
        var answer = await AskUdpAsync(endpoint, query, ct);
        if (answer.Truncated) answer = await AskTcpAsync(endpoint, query, ct);
        var w = _context.Console.Out;
        w.WriteLine($";; {answer.ResponseCode} from {endpoint}{(answer.Authoritative ? " (authoritative)" : "")}");
        Print(w, "ANSWER", answer.Answers);
        Print(w, "AUTHORITY", answer.Authorities);
        Print(w, "ADDITIONAL", answer.Additionals);
        return answer.ResponseCode is DnsResponseCode.NoError ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static void Print(TextWriter w, string section, IReadOnlyList<DnsResourceRecord> records)
    {
        if (records.Count == 0) return;
        w.WriteLine($";; {section}");
        foreach (var r in records)
        {
            var data = r.Data switch
            {
                DnsAddressData a => a.Address.ToString(),
                DnsSrvData s => $"{s.Priority} {s.Weight} {s.Port} {s.Target}",
                DnsSoaData soa => $"{soa.PrimaryServer} {soa.Mailbox} {soa.Serial} {soa.Refresh} {soa.Retry} {soa.Expire} {soa.Minimum}",
                DnsNameData n => n.Name,
                _ => r.Data.ToString(),
            };
            w.WriteLine($"{r.Name}\t{r.Ttl}\tIN\t{r.Type}\t{data}");
        }
    }

    private static async Task<DnsMessage> AskUdpAsync(IPEndPoint server, DnsMessage query, CancellationToken ct)
    {
        using var udp = new UdpClient(server.AddressFamily);
        var bytes = query.ToArray();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await udp.SendAsync(bytes, server, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                var result = await udp.ReceiveAsync(timeout.Token);
                var msg = DnsMessage.Parse(result.Buffer);
                if (msg.Id == query.Id) return msg;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // retry
            }
        }
        throw new CliException($"no answer from the DNS server at {server} (is the server running with --dns-listen?)");
    }

    private static async Task<DnsMessage> AskTcpAsync(IPEndPoint server, DnsMessage query, CancellationToken ct)
    {
        using var tcp = new TcpClient(server.AddressFamily);
        await tcp.ConnectAsync(server, ct);
        var stream = tcp.GetStream();
        var bytes = query.ToArray();
        await stream.WriteAsync(new[] { (byte)(bytes.Length >> 8), (byte)bytes.Length }, ct);
        await stream.WriteAsync(bytes, ct);
        var len = new byte[2];
        await stream.ReadExactlyAsync(len, ct);
        var body = new byte[(len[0] << 8) | len[1]];
        await stream.ReadExactlyAsync(body, ct);
        return DnsMessage.Parse(body);
    }
}
