using System.Net;
using System.Net.Sockets;
using Drover.Dns;
using Drover.Dns.Wire;

namespace Drover.Cli.Commands;

/// <summary>drover dns NAME [TYPE]: asks Drover's DNS server (UDP, then TCP when truncated) and prints the answer like dig.</summary>
public static class DnsCommands
{
    public static async Task<int> LookupAsync(CliArgs args, CommandContext ctx, CancellationToken ct)
    {
        var name = args.Positional(0, "name to look up");
        var typeText = args.Positionals.Count > 1 ? args.Positionals[1] : "A";
        var server = args.Get("--dns") ?? Environment.GetEnvironmentVariable("DROVER_DNS") ?? "127.0.0.1:8600";
        args.RejectUnknown();
        if (!Enum.TryParse<DnsRecordType>(typeText, ignoreCase: true, out var type))
            throw new UsageException($"unknown record type '{typeText}' (use A, AAAA, SRV, SOA, NS, ANY)");
        IPEndPoint endpoint;
        try { endpoint = DnsOptions.ParseEndpoint(server, DnsOptions.DefaultPort); }
        catch (FormatException ex) { throw new UsageException($"--dns: {ex.Message}"); }
        var query = DnsMessage.Query(name, type, (ushort)Random.Shared.Next(1, ushort.MaxValue), new DnsEdns());
        var answer = await AskUdpAsync(endpoint, query, ct);
        if (answer.Truncated) answer = await AskTcpAsync(endpoint, query, ct);
        ctx.Out.WriteLine($";; {answer.ResponseCode} from {endpoint}{(answer.Authoritative ? " (authoritative)" : "")}");
        Print(ctx.Out, "ANSWER", answer.Answers);
        Print(ctx.Out, "AUTHORITY", answer.Authorities);
        Print(ctx.Out, "ADDITIONAL", answer.Additionals);
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
                DnsSoaData soa => soa.ToString(),
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
