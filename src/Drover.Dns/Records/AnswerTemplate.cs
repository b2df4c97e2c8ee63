using System.Net;
using Drover.Dns.Wire;

namespace Drover.Dns.Records;

/// <summary>
/// The answer and additional sections of a response for one (name, type), in wire format,
/// laid out for a question of the name's length at offset 12, so that the question can be
/// copied from the query and these bytes appended as they are (owner names point at the
/// question). Several rotations of the answers are kept; each query picks one at random, which
/// is the shuffle Consul and Mesos-DNS do per query, without any work per query.
/// </summary>
internal sealed class AnswerTemplate
{
    public const int MaxVariants = 16;
    /// <summary>Room left for the OPT record, so a full template always fits a TCP message.</summary>
    private const int MaxMessage = ushort.MaxValue - 11;

    public static readonly AnswerTemplate NoData = new([], 0);

    private AnswerTemplate(TemplateVariant[] variants, int answerCount)
    {
        Variants = variants;
        AnswerCount = answerCount;
    }

    public TemplateVariant[] Variants { get; }
    public int AnswerCount { get; }

    public TemplateVariant Pick() =>
        Variants.Length == 1 ? Variants[0] : Variants[Random.Shared.Next(Variants.Length)];

    public static AnswerTemplate Build(DnsRecordSet set, DnsNameEntry entry, int slot)
    {
        var items = Items(set, entry, slot);
        if (items.Count == 0)
        {
            return NoData;
        }

        var count = Math.Min(items.Count, MaxVariants);
        var variants = new TemplateVariant[count];
        var buffer = new byte[ushort.MaxValue];
        for (var v = 0; v < count; v++)
        {
            var start = v * items.Count / count;
            var rotated = items.Skip(start).Concat(items.Take(start)).ToList();
            variants[v] = BuildVariant(set, entry, rotated, buffer);
        }

        return new AnswerTemplate(variants, variants.Min(v => v.AnswerEnds.Length));
    }

    private static List<DnsResourceRecord> Items(DnsRecordSet set, DnsNameEntry entry, int slot)
    {
        var items = new List<DnsResourceRecord>();
        var name = entry.Name;
        if (slot is DnsNameEntry.SlotA or DnsNameEntry.SlotAny)
        {
            items.AddRange(entry.A.Select(a => DnsResourceRecord.Address(name, a, entry.Ttl)));
        }

        if (slot is DnsNameEntry.SlotAaaa or DnsNameEntry.SlotAny)
        {
            items.AddRange(entry.Aaaa.Select(a => DnsResourceRecord.Address(name, a, entry.Ttl)));
        }

        if (slot is DnsNameEntry.SlotSrv or DnsNameEntry.SlotAny)
        {
            items.AddRange(entry.Srv.Select(s => new DnsResourceRecord(name, DnsRecordType.SRV, DnsClass.IN, entry.Ttl,
                new DnsSrvData(s.Priority, s.Weight, s.Port, s.Target))));
        }

        if (entry.IsApex && slot is DnsNameEntry.SlotSoa or DnsNameEntry.SlotAny)
        {
            items.Add(set.SoaRecord(set.Options.NodeTtl));
        }

        if (entry.IsApex && slot is DnsNameEntry.SlotNs or DnsNameEntry.SlotAny)
        {
            items.Add(new DnsResourceRecord(name, DnsRecordType.NS, DnsClass.IN, set.Options.NodeTtl, new DnsNameData(set.NameServer)));
        }

        return items;
    }

    private static TemplateVariant BuildVariant(DnsRecordSet set, DnsNameEntry entry, List<DnsResourceRecord> answers, byte[] buffer)
    {
        var writer = new DnsWriter(buffer, 0, MaxMessage);
        writer.Position = DnsMessage.HeaderLength;
        writer.RegisterName(entry.Name, DnsMessage.HeaderLength);
        writer.WriteBytes(entry.Wire);
        writer.WriteU16(0);
        writer.WriteU16(0);
        var body = writer.Position;

        var answerEnds = new List<int>();
        var targets = new List<string?>();
        foreach (var answer in answers)
        {
            try
            {
                writer.WriteRecord(answer);
            }
            catch (DnsMessageTooLargeException)
            {
                break; // a huge service: TCP gets as many as fit in one message
            }

            answerEnds.Add(writer.Position - body);
            targets.Add(answer.Data switch
            {
                DnsSrvData srv => srv.Target,
                DnsNameData ns => ns.Name,
                _ => null,
            });
        }

        // The target's addresses once PER ANSWER, not once per target: Consul's serviceSRVRecords
        // (hashicorp/consul agent/dns.go) appends each instance's extra records to resp.Extra, so a
        // node's A record repeats for every SRV record pointing at it. HAProxy's resolvers pair each
        // SRV record with one additional record of its target, one to one; with a shared A record
        // the third instance on a host stayed "MAINT (resolution)".
        var answersLength = writer.Position - body;
        var additionalEnds = new List<int>();
        var additionalFor = new int[answerEnds.Count]; // additional records needed by the first i+1 answers
        var complete = 0; // answers whose additional records were all written
        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i] is { } target)
            {
                foreach (var address in set.GetAddresses(target))
                {
                    try
                    {
                        // the owner compresses to a pointer at the target inside an answer written above
                        writer.WriteRecord(DnsResourceRecord.Address(target, address, set.TtlOf(target)));
                    }
                    catch (DnsMessageTooLargeException)
                    {
                        goto done;
                    }

                    additionalEnds.Add(writer.Position - body - answersLength);
                }
            }

            additionalFor[i] = additionalEnds.Count;
            complete = i + 1;
        }

    done:
        // the message is full: the remaining answers come with every additional record that was written
        for (var i = complete; i < additionalFor.Length; i++)
        {
            additionalFor[i] = additionalEnds.Count;
        }

        return new TemplateVariant(
            buffer.AsSpan(body, writer.Position - body).ToArray(), [.. answerEnds], answersLength, [.. additionalEnds], additionalFor);
    }
}

/// <summary>
/// One rotation: <see cref="Data"/> holds the answers then the additional records.
/// <see cref="AnswerEnds"/>[i] is where answer i ends, <see cref="AdditionalEnds"/>[j] where
/// additional record j ends (counted from the start of the additional records), and
/// <see cref="AdditionalFor"/>[k-1] how many additional records the first k answers need. Additional
/// records only point at answers (never at other additional records), so any prefix of them can be sent.
/// </summary>
internal sealed record TemplateVariant(byte[] Data, int[] AnswerEnds, int AnswersLength, int[] AdditionalEnds, int[] AdditionalFor);
