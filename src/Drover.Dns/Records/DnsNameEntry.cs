using System.Net;
using Drover.Dns.Wire;

namespace Drover.Dns.Records;

/// <summary>An SRV record of the set (RFC 2782); <see cref="Target"/> is a name without the trailing dot.</summary>
public sealed record DnsSrvRecord(ushort Priority, ushort Weight, ushort Port, string Target);

/// <summary>
/// One owner name of a record set with its records. Answer templates (wire bytes ready to copy)
/// are made on the first query of each type and cached, so a rebuild costs only the records.
/// </summary>
internal sealed class DnsNameEntry
{
    // template slots by query type
    internal const int SlotA = 0, SlotAaaa = 1, SlotSrv = 2, SlotAny = 3, SlotSoa = 4, SlotNs = 5, SlotCount = 6;

    private readonly AnswerTemplate?[] _templates = new AnswerTemplate?[SlotCount];

    public DnsNameEntry(string name, uint ttl, IPAddress[] a, IPAddress[] aaaa, DnsSrvRecord[] srv, bool isApex)
    {
        Name = name;
        Wire = DnsName.ToWire(name);
        Ttl = ttl;
        A = a;
        Aaaa = aaaa;
        Srv = srv;
        IsApex = isApex;
    }

    public string Name { get; }
    /// <summary>Lower-case wire form; a query for this name has a question of exactly this length.</summary>
    public byte[] Wire { get; }
    public uint Ttl { get; }
    public IPAddress[] A { get; }
    public IPAddress[] Aaaa { get; }
    public DnsSrvRecord[] Srv { get; }
    public bool IsApex { get; }

    public bool HasRecords => A.Length + Aaaa.Length + Srv.Length > 0 || IsApex;

    public static int SlotOf(ushort qtype) => qtype switch
    {
        (ushort)DnsRecordType.A => SlotA,
        (ushort)DnsRecordType.AAAA => SlotAaaa,
        (ushort)DnsRecordType.SRV => SlotSrv,
        (ushort)DnsRecordType.ANY => SlotAny,
        (ushort)DnsRecordType.SOA => SlotSoa,
        (ushort)DnsRecordType.NS => SlotNs,
        _ => -1,
    };

    /// <summary>The template for a slot; <see cref="AnswerTemplate.NoData"/> when the name has no such records.</summary>
    public AnswerTemplate GetTemplate(int slot, DnsRecordSet set)
    {
        var template = Volatile.Read(ref _templates[slot]);
        if (template is not null)
        {
            return template;
        }

        // two threads may build the same template at once; both results are equal, one is kept
        template = AnswerTemplate.Build(set, this, slot);
        return Interlocked.CompareExchange(ref _templates[slot], template, null) ?? template;
    }
}
