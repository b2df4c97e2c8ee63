using System.Net;
using Drover.Dns.Wire;

namespace Drover.Dns.Tests;

public class WireFormatTests
{
    private static DnsMessage Sample(bool withEdns = true) => new()
    {
        Id = 0xBEEF,
        IsResponse = true,
        Authoritative = true,
        RecursionDesired = true,
        RecursionAvailable = true,
        CheckingDisabled = true,
        ResponseCode = DnsResponseCode.NXDomain,
        Questions = [new DnsQuestion("_web._tcp.service.drover", DnsRecordType.SRV)],
        Answers =
        [
            new DnsResourceRecord("_web._tcp.service.drover", DnsRecordType.SRV, DnsClass.IN, 30, new DnsSrvData(1, 2, 31001, "node-1.node.dc1.drover")),
            new DnsResourceRecord("_web._tcp.service.drover", DnsRecordType.SRV, DnsClass.IN, 30, new DnsSrvData(1, 2, 31002, "node-2.node.dc1.drover")),
        ],
        Authorities =
        [
            new DnsResourceRecord("drover", DnsRecordType.SOA, DnsClass.IN, 0, new DnsSoaData("ns.drover", "hostmaster.drover", 7, 3600, 600, 86400, 0)),
            new DnsResourceRecord("drover", DnsRecordType.NS, DnsClass.IN, 0, new DnsNameData("ns.drover")),
        ],
        Additionals =
        [
            DnsResourceRecord.Address("node-1.node.dc1.drover", IPAddress.Parse("10.0.0.1"), 0),
            DnsResourceRecord.Address("node-2.node.dc1.drover", IPAddress.Parse("fd00::2"), 0),
            new DnsResourceRecord("txt.drover", DnsRecordType.TXT, DnsClass.IN, 5, new DnsRawData([3, (byte)'a', (byte)'=', (byte)'b'])),
        ],
        Edns = withEdns ? new DnsEdns(4096, 0, DnssecOk: true) : null,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MessagesRoundTripWithAndWithoutCompression(bool compress)
    {
        var message = Sample();
        var parsed = DnsMessage.Parse(message.ToArray(compress));

        Assert.Equal(message.Id, parsed.Id);
        Assert.True(parsed.IsResponse && parsed.Authoritative && parsed.RecursionDesired && parsed.RecursionAvailable && parsed.CheckingDisabled);
        Assert.False(parsed.Truncated);
        Assert.Equal(DnsResponseCode.NXDomain, parsed.ResponseCode);
        Assert.Equal(message.Questions, parsed.Questions);
        Assert.Equal(message.Answers, parsed.Answers);
        Assert.Equal(message.Authorities, parsed.Authorities);
        Assert.Equal(message.Additionals, parsed.Additionals);
        Assert.Equal(message.Edns, parsed.Edns);
    }

    [Fact]
    public void CompressionPointsLaterNamesAtEarlierOnes()
    {
        var plain = Sample().ToArray(compress: false);
        var compressed = Sample().ToArray(compress: true);
        Assert.True(compressed.Length < plain.Length - 60, $"{compressed.Length} vs {plain.Length}");

        // the first answer's owner is the question name at offset 12
        var answerStart = 12 + DnsName.ToWire("_web._tcp.service.drover").Length + 4;
        Assert.Equal(0xC0, compressed[answerStart]);
        Assert.Equal(12, compressed[answerStart + 1]);
    }

    [Fact]
    public void SrvTargetsAreNeverCompressedButCanBePointedAt()
    {
        var bytes = Sample(withEdns: false).ToArray();
        var target = DnsName.ToWire("node-1.node.dc1.drover");
        Assert.True(bytes.AsSpan().IndexOf(target) > 0, "the first SRV target is written in full (RFC 2782)");
        var second = DnsName.ToWire("node-2.node.dc1.drover");
        Assert.True(bytes.AsSpan().IndexOf(second) > 0, "so is the second, though it shares a suffix");
    }

    [Fact]
    public void ExtendedResponseCodesTravelInTheOptRecord()
    {
        var message = new DnsMessage { Id = 1, IsResponse = true, ResponseCode = DnsResponseCode.BadVers, Edns = new DnsEdns() };
        var bytes = message.ToArray();
        Assert.Equal(0, bytes[3] & 0x0F);
        Assert.Equal(DnsResponseCode.BadVers, DnsMessage.Parse(bytes).ResponseCode);
        Assert.Throws<InvalidOperationException>(() => (message with { Edns = null }).ToArray());
    }

    [Theory]
    [InlineData("a\\.b.drover", 2)]
    [InlineData("x\\032y.drover.", 2)]
    [InlineData("back\\\\slash", 1)]
    [InlineData("", 0)]
    [InlineData(".", 0)]
    public void EscapedNamesRoundTrip(string name, int labels)
    {
        Assert.Equal(labels, DnsName.ToLabels(name).Count);
        var message = DnsMessage.Query(name, DnsRecordType.A);
        var parsed = DnsMessage.Parse(message.ToArray());
        Assert.Equal(DnsName.ToLabels(name).Select(l => l.ToArray()), DnsName.ToLabels(parsed.Questions[0].Name));
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("bad\\")]
    [InlineData("bad\\99")]
    [InlineData("bad\\999")]
    public void BadNamesAreRejected(string name) => Assert.Throws<DnsFormatException>(() => DnsName.ToLabels(name));

    [Fact]
    public void LabelAndNameLimitsAreEnforced()
    {
        Assert.Throws<DnsFormatException>(() => DnsName.ToLabels(new string('a', 64) + ".drover"));
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 4*64+1 = 257 bytes
        Assert.Throws<DnsFormatException>(() => DnsName.ToLabels(longName));
        Assert.Single(DnsName.ToLabels(new string('a', 63)));
    }

    [Fact]
    public void PointerLoopsAndForwardPointersAreRejected()
    {
        var header = new byte[] { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        // the question name is a pointer to itself
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse([.. header, 0xC0, 12, 0, 1, 0, 1]));
        // a label then a pointer back to that label: a loop that "points backwards" from the pointer
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse([.. header, 1, (byte)'a', 0xC0, 12, 0, 1, 0, 1]));
        // a pointer forward to a later name
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse([.. header, 0xC0, 20, 0, 1, 0, 1, 1, (byte)'a', 0]));
        // a two-pointer cycle in an answer record: 0xC0 0x1E -> 0xC0 0x1C -> ...
        byte[] answer = [0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 14, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0];
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(answer));
    }

    [Fact]
    public void TruncatedMessagesAndBadRdataAreRejected()
    {
        var bytes = Sample().ToArray();
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(bytes.AsSpan(0, cut)));
        }

        var badA = new DnsMessage
        {
            Answers = [new DnsResourceRecord("x", DnsRecordType.A, DnsClass.IN, 0, new DnsRawData([1, 2, 3]))],
        }.ToArray();
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(badA));
    }

    [Fact]
    public void TwoOptRecordsAreRejected()
    {
        var message = DnsMessage.Query("a.drover", DnsRecordType.A, 1, new DnsEdns()).ToArray().ToList();
        message.AddRange([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
        message[11] = 2;
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(message.ToArray()));
    }

    [Fact]
    public void WriterRefusesToOverflowItsBuffer()
    {
        var big = new DnsMessage
        {
            Answers = Enumerable.Range(0, 5000).Select(i => DnsResourceRecord.Address($"n{i}.drover", IPAddress.Loopback, 0)).ToList(),
        };
        Assert.Throws<DnsMessageTooLargeException>(() => big.WriteTo(new byte[512]));
    }
}
