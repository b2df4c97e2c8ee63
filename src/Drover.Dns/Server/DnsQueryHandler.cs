using System.Buffers.Binary;
using Drover.Dns.Records;
using Drover.Dns.Wire;

namespace Drover.Dns.Server;

internal enum QueryOutcome
{
    /// <summary>Nothing to send (not a query, or too short to answer).</summary>
    Drop,
    /// <summary>The response is in the buffer.</summary>
    Respond,
    /// <summary>The name is outside the zone: relay the query to a recursor.</summary>
    Forward,
}

/// <summary>
/// Answers one query from a <see cref="DnsRecordSet"/> into a caller's buffer without allocating:
/// the question is parsed in place, the name looked up as lower-case characters, and the answer
/// copied from the name's <see cref="AnswerTemplate"/>. Never throws: anything unexpected becomes
/// SERVFAIL (header readable) or a drop.
/// </summary>
internal static class DnsQueryHandler
{
    private const int Header = DnsMessage.HeaderLength;
    private const int OptLength = 11;
    private const int SoaLength = 50;

    public static QueryOutcome Handle(DnsRecordSet set, ReadOnlySpan<byte> query, Span<byte> response, bool tcp, bool canForward, out int length)
    {
        length = 0;
        if (query.Length < Header || response.Length < DnsMessage.MaxUdpWithoutEdns)
        {
            return QueryOutcome.Drop;
        }

        try
        {
            return HandleCore(set, query, response, tcp, canForward, out length);
        }
        catch (Exception)
        {
            // a bug, not bad input (input is bounds-checked): answer as Mesos-DNS does on a panic
            length = WriteError(query, response, DnsResponseCode.ServFail, 0, canForward);
            return QueryOutcome.Respond;
        }
    }

    /// <summary>Header (+ question when it parses) with an error code, e.g. SERVFAIL after a failed forward.</summary>
    public static int WriteFailure(ReadOnlySpan<byte> query, Span<byte> response, DnsResponseCode code, bool recursionAvailable)
    {
        if (query.Length < Header)
        {
            return 0;
        }

        var questionLength = BinaryPrimitives.ReadUInt16BigEndian(query[4..]) == 1 ? QuestionLength(query) : 0;
        return WriteError(query, response, code, Math.Max(questionLength, 0), recursionAvailable);
    }

    private static QueryOutcome HandleCore(DnsRecordSet set, ReadOnlySpan<byte> query, Span<byte> response, bool tcp, bool canForward, out int length)
    {
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        if ((flags & DnsFlags.QR) != 0)
        {
            length = 0;
            return QueryOutcome.Drop; // never answer a response: no reflection loops
        }

        if ((flags & DnsFlags.OpcodeMask) != 0)
        {
            length = WriteError(query, response, DnsResponseCode.NotImp, 0, canForward);
            return QueryOutcome.Respond;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            length = WriteError(query, response, DnsResponseCode.FormErr, 0, canForward);
            return QueryOutcome.Respond;
        }

        Span<char> name = stackalloc char[DnsName.MaxWireLength];
        var nameLength = 0;
        var plain = true; // no label contains a '.', which no name of ours has
        var lastDotted = -1; // where the last label holding a '.' starts
        Span<bool> labelStart = stackalloc bool[DnsName.MaxWireLength + 1];
        var p = Header;
        while (true)
        {
            if (p >= query.Length)
            {
                return FormErr(query, response, canForward, out length);
            }

            int label = query[p];
            if (label == 0)
            {
                p++;
                break;
            }

            // pointers (and the obsolete label types) have no place in a question at offset 12
            if (label > DnsName.MaxLabelLength || p + 1 + label > query.Length || p + 1 + label - Header + 1 > DnsName.MaxWireLength)
            {
                return FormErr(query, response, canForward, out length);
            }

            if (nameLength > 0)
            {
                name[nameLength++] = '.';
            }

            labelStart[p - Header] = true;
            foreach (var b in query.Slice(p + 1, label))
            {
                if (b == (byte)'.')
                {
                    plain = false;
                    lastDotted = p - Header;
                }

                name[nameLength++] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
            }

            p += 1 + label;
        }

        if (p + 4 > query.Length)
        {
            return FormErr(query, response, canForward, out length);
        }

        var qtype = BinaryPrimitives.ReadUInt16BigEndian(query[p..]);
        var qclass = BinaryPrimitives.ReadUInt16BigEndian(query[(p + 2)..]);
        var questionLength = p + 4 - Header;

        if (!ReadEdns(query, p + 4, out var edns, out var ednsSize, out var ednsVersion, out var dnssecOk))
        {
            length = WriteError(query, response, DnsResponseCode.FormErr, questionLength, canForward);
            return QueryOutcome.Respond;
        }

        var limit = tcp ? ushort.MaxValue : edns ? Math.Clamp((int)ednsSize, DnsMessage.MaxUdpWithoutEdns, set.Options.MaxUdpPayload) : DnsMessage.MaxUdpWithoutEdns;
        limit = Math.Min(limit, response.Length);
        var opt = new Opt(edns, dnssecOk, (ushort)set.Options.MaxUdpPayload);

        if (edns && ednsVersion != 0)
        {
            // BADVERS = 16: 0 in the header, 1 in the OPT's extended bits
            length = WriteError(query, response, DnsResponseCode.NoError, questionLength, canForward);
            length = WriteOpt(response, length, opt, extendedRcode: 1);
            BumpAdditional(response, 1);
            return QueryOutcome.Respond;
        }

        var lowerName = name[..nameLength];
        if (qclass is not (DnsClass.IN or DnsClass.ANY) || qtype is 251 or 252) // IXFR, AXFR: not served
        {
            return Finish(response, WriteError(query, response, DnsResponseCode.Refused, questionLength, canForward), opt, out length);
        }

        // the zone's labels must really be the name's last labels ("evil\.drover" is one label under the root)
        var apex = questionLength - 4 - set.ApexWireLength;
        var inZone = set.IsInZone(lowerName) && (apex == 0 || (apex > 0 && labelStart[apex])) && lastDotted < apex;
        if (!inZone)
        {
            if (canForward)
            {
                length = 0;
                return QueryOutcome.Forward;
            }

            return Finish(response, WriteError(query, response, DnsResponseCode.Refused, questionLength, false), opt, out length);
        }

        var responseFlags = (ushort)(DnsFlags.QR | DnsFlags.AA | (flags & (DnsFlags.RD | DnsFlags.CD)) | (canForward ? DnsFlags.RA : 0));
        var pos = Header + questionLength;
        query.Slice(Header, questionLength).CopyTo(response[Header..]);
        BinaryPrimitives.WriteUInt16BigEndian(response, BinaryPrimitives.ReadUInt16BigEndian(query));
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], 1);

        if (!plain || !set.TryFind(lowerName, out var entry))
        {
            pos = WriteNegative(set, response, pos, responseFlags, DnsResponseCode.NXDomain, questionLength);
            return Finish(response, pos, opt, out length);
        }

        var slot = DnsNameEntry.SlotOf(qtype);
        var template = slot < 0 ? AnswerTemplate.NoData : entry.GetTemplate(slot, set);
        if (template.Variants.Length == 0)
        {
            pos = WriteNegative(set, response, pos, responseFlags, DnsResponseCode.NoError, questionLength);
            return Finish(response, pos, opt, out length);
        }

        pos = WriteAnswers(set, template.Pick(), response, pos, limit - (edns ? OptLength : 0), tcp, ref responseFlags, out var answers, out var additionals);
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], responseFlags);
        BinaryPrimitives.WriteUInt16BigEndian(response[6..], (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(response[8..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)additionals);
        return Finish(response, pos, opt, out length);
    }

    private static int WriteAnswers(DnsRecordSet set, TemplateVariant variant, Span<byte> response, int pos, int limit, bool tcp,
        ref ushort flags, out int answers, out int additionals)
    {
        var budget = limit - pos;
        var count = variant.AnswerEnds.Length;
        var answerLimit = set.Options.UdpAnswerLimit;
        var truncated = false;
        if (!tcp && answerLimit > 0 && count > answerLimit)
        {
            count = answerLimit;
            truncated = set.Options.TruncateOnAnswerLimit;
        }

        var sizeTrimmed = false;
        while (count > 0 && variant.AnswerEnds[count - 1] > budget)
        {
            count--;
            sizeTrimmed = true;
        }

        var answersLength = count == 0 ? 0 : variant.AnswerEnds[count - 1];
        variant.Data.AsSpan(0, answersLength).CopyTo(response[pos..]);
        pos += answersLength;

        var extra = 0;
        if (!sizeTrimmed && count > 0)
        {
            extra = variant.AdditionalFor[count - 1];
            while (extra > 0 && answersLength + variant.AdditionalEnds[extra - 1] > budget)
            {
                extra--; // additional records are optional: send the ones that fit, TC stays clear
            }

            var extraLength = extra == 0 ? 0 : variant.AdditionalEnds[extra - 1];
            variant.Data.AsSpan(variant.AnswersLength, extraLength).CopyTo(response[pos..]);
            pos += extraLength;
        }

        if (truncated || sizeTrimmed)
        {
            flags |= DnsFlags.TC;
        }

        answers = count;
        additionals = extra;
        return pos;
    }

    /// <summary>NXDOMAIN or NODATA: no answers, the zone's SOA in AUTHORITY (RFC 2308).</summary>
    private static int WriteNegative(DnsRecordSet set, Span<byte> response, int pos, ushort flags, DnsResponseCode code, int questionLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], (ushort)(flags | (ushort)code));
        BinaryPrimitives.WriteUInt16BigEndian(response[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(response[8..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], 0);

        // the apex is the tail of the question name: point there
        var apex = (ushort)(0xC000 | (Header + questionLength - 4 - set.ApexWireLength));
        var r = response[pos..];
        BinaryPrimitives.WriteUInt16BigEndian(r, apex);
        BinaryPrimitives.WriteUInt16BigEndian(r[2..], (ushort)DnsRecordType.SOA);
        BinaryPrimitives.WriteUInt16BigEndian(r[4..], DnsClass.IN);
        BinaryPrimitives.WriteUInt32BigEndian(r[6..], set.Options.NegativeTtl);
        BinaryPrimitives.WriteUInt16BigEndian(r[10..], SoaLength - 12);
        r[12] = 2;
        r[13] = (byte)'n';
        r[14] = (byte)'s';
        BinaryPrimitives.WriteUInt16BigEndian(r[15..], apex);
        r[17] = 10;
        "hostmaster"u8.CopyTo(r[18..]);
        BinaryPrimitives.WriteUInt16BigEndian(r[28..], apex);
        BinaryPrimitives.WriteUInt32BigEndian(r[30..], set.Serial);
        BinaryPrimitives.WriteUInt32BigEndian(r[34..], DnsRecordSet.SoaRefresh);
        BinaryPrimitives.WriteUInt32BigEndian(r[38..], DnsRecordSet.SoaRetry);
        BinaryPrimitives.WriteUInt32BigEndian(r[42..], DnsRecordSet.SoaExpire);
        BinaryPrimitives.WriteUInt32BigEndian(r[46..], set.Options.NegativeTtl);
        return pos + SoaLength;
    }

    private static QueryOutcome FormErr(ReadOnlySpan<byte> query, Span<byte> response, bool canForward, out int length)
    {
        length = WriteError(query, response, DnsResponseCode.FormErr, 0, canForward);
        return QueryOutcome.Respond;
    }

    /// <summary>Header with <paramref name="code"/>, the question copied when <paramref name="questionLength"/> &gt; 0.</summary>
    private static int WriteError(ReadOnlySpan<byte> query, Span<byte> response, DnsResponseCode code, int questionLength, bool recursionAvailable)
    {
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        var responseFlags = (ushort)(DnsFlags.QR | (flags & (DnsFlags.OpcodeMask | DnsFlags.RD | DnsFlags.CD))
                                     | (recursionAvailable ? DnsFlags.RA : 0) | ((ushort)code & DnsFlags.RcodeMask));
        query[..2].CopyTo(response);
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], responseFlags);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], (ushort)(questionLength > 0 ? 1 : 0));
        response.Slice(6, 6).Clear();
        query.Slice(Header, questionLength).CopyTo(response[Header..]);
        return Header + questionLength;
    }

    private readonly record struct Opt(bool Present, bool DnssecOk, ushort UdpSize);

    private static QueryOutcome Finish(Span<byte> response, int pos, Opt opt, out int length)
    {
        if (opt.Present)
        {
            pos = WriteOpt(response, pos, opt, 0);
            BumpAdditional(response, 1);
        }

        length = pos;
        return QueryOutcome.Respond;
    }

    private static int WriteOpt(Span<byte> response, int pos, Opt opt, byte extendedRcode)
    {
        var r = response[pos..];
        r[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(r[1..], (ushort)DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(r[3..], opt.UdpSize);
        r[5] = extendedRcode;
        r[6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(r[7..], opt.DnssecOk ? (ushort)0x8000 : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(r[9..], 0);
        return pos + OptLength;
    }

    private static void BumpAdditional(Span<byte> response, int by) =>
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(response[10..]) + by));

    /// <summary>
    /// Walks the answer, authority and additional sections after the question and finds the OPT
    /// record. False when a record is malformed, an OPT is misplaced, or there are two of them.
    /// </summary>
    private static bool ReadEdns(ReadOnlySpan<byte> query, int pos, out bool present, out ushort udpSize, out byte version, out bool dnssecOk)
    {
        present = false;
        udpSize = 0;
        version = 0;
        dnssecOk = false;
        var beforeAdditional = BinaryPrimitives.ReadUInt16BigEndian(query[6..]) + BinaryPrimitives.ReadUInt16BigEndian(query[8..]);
        var total = beforeAdditional + BinaryPrimitives.ReadUInt16BigEndian(query[10..]);
        for (var i = 0; i < total; i++)
        {
            var ownerStart = pos;
            if (!SkipName(query, ref pos) || pos + 10 > query.Length)
            {
                return false;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(query[pos..]);
            var klass = BinaryPrimitives.ReadUInt16BigEndian(query[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(query[(pos + 4)..]);
            var rdlength = BinaryPrimitives.ReadUInt16BigEndian(query[(pos + 8)..]);
            pos += 10;
            if (pos + rdlength > query.Length)
            {
                return false;
            }

            pos += rdlength;
            if (type == (ushort)DnsRecordType.OPT)
            {
                if (i < beforeAdditional || present || pos - rdlength - 10 - ownerStart != 1)
                {
                    return false; // OPT only once, only in ADDITIONAL, owner must be the root
                }

                present = true;
                udpSize = klass;
                version = (byte)(ttl >> 16);
                dnssecOk = (ttl & 0x8000) != 0;
            }
        }

        return true;
    }

    private static bool SkipName(ReadOnlySpan<byte> message, ref int pos)
    {
        while (pos < message.Length)
        {
            int label = message[pos];
            if (label == 0)
            {
                pos++;
                return true;
            }

            if ((label & 0xC0) == 0xC0)
            {
                pos += 2;
                return pos <= message.Length;
            }

            if ((label & 0xC0) != 0)
            {
                return false;
            }

            pos += 1 + label;
        }

        return false;
    }

    /// <summary>The first question's type, or -1 when it does not parse (for metrics, after the answer is sent).</summary>
    public static int QuestionType(ReadOnlySpan<byte> query)
    {
        if (query.Length < Header || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) == 0) return -1;
        var length = QuestionLength(query);
        return length < 0 ? -1 : BinaryPrimitives.ReadUInt16BigEndian(query[(Header + length - 4)..]);
    }

    /// <summary>The response code in a response's header, or -1 for an empty one.</summary>
    public static int ResponseCode(ReadOnlySpan<byte> response) => response.Length < Header ? -1 : response[3] & 0x0F;

    /// <summary>Length of the first question (name + type + class), or -1 when it does not parse.</summary>
    private static int QuestionLength(ReadOnlySpan<byte> query)
    {
        var pos = Header;
        var wire = 1;
        while (pos < query.Length)
        {
            int label = query[pos];
            if (label == 0)
            {
                return pos + 5 <= query.Length ? pos + 5 - Header : -1;
            }

            wire += label + 1;
            if (label > DnsName.MaxLabelLength || wire > DnsName.MaxWireLength)
            {
                return -1;
            }

            pos += 1 + label;
        }

        return -1;
    }
}
