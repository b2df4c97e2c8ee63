using System.Buffers.Binary;
using Drover.Dns.Records;
using Drover.Dns.Server;
using Drover.Dns.Wire;

namespace Drover.Dns.Tests;

/// <summary>Hostile input never escapes the handler: every packet gets a parseable answer or is dropped.</summary>
public class FuzzTests
{
    private static readonly DnsRecordSet Set = DnsRecordSet.Build(TestCatalog.Build(), new DnsOptions { Recursors = [] }, 7);

    /// <summary>Runs one packet through the handler (UDP and TCP paths) and checks the contract.</summary>
    private static void Check(byte[] packet)
    {
        var response = new byte[ushort.MaxValue];
        foreach (var tcp in new[] { false, true })
        {
            var outcome = DnsQueryHandler.Handle(Set, packet, response, tcp, canForward: true, out var length);
            if (packet.Length < 12 || (packet[2] & 0x80) != 0)
            {
                Assert.Equal(QueryOutcome.Drop, outcome);
                continue;
            }

            if (outcome == QueryOutcome.Forward)
            {
                continue;
            }

            Assert.Equal(QueryOutcome.Respond, outcome);
            Assert.InRange(length, 12, tcp ? ushort.MaxValue : 1232);
            var parsed = DnsMessage.Parse(response.AsSpan(0, length)); // what we send must always parse
            Assert.True(parsed.IsResponse);
            Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(packet), parsed.Id);
            Assert.NotEqual(DnsResponseCode.ServFail, parsed.ResponseCode); // SERVFAIL here would mean a bug
        }
    }

    private static byte[] Valid(string name = "web.service.drover", DnsRecordType type = DnsRecordType.SRV, bool edns = true) =>
        DnsMessage.Query(name, type, 0xABCD, edns ? new DnsEdns(4096) : null).ToArray();

    [Fact]
    public void RandomBytes()
    {
        var random = new Random(1234);
        for (var i = 0; i < 20000; i++)
        {
            var packet = new byte[random.Next(0, 600)];
            random.NextBytes(packet);
            if (i % 2 == 0 && packet.Length > 2)
            {
                packet[2] &= 0x07; // mostly plain queries, so the parser gets past the header
            }

            Check(packet);
        }
    }

    [Fact]
    public void EveryTruncationOfValidQueries()
    {
        foreach (var packet in new[] { Valid(), Valid("nope.service.drover", DnsRecordType.A), Valid("example.com", DnsRecordType.A, edns: false) })
        {
            for (var cut = 0; cut <= packet.Length; cut++)
            {
                Check(packet[..cut]);
            }
        }
    }

    [Fact]
    public void BitFlipsAndByteMutationsOfValidQueries()
    {
        var random = new Random(99);
        var seeds = new[] { Valid(), Valid("_web._tcp.marathon.drover"), Valid("db-vip.service.drover", DnsRecordType.A, edns: false) };
        for (var i = 0; i < 20000; i++)
        {
            var packet = (byte[])seeds[i % seeds.Length].Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                var at = random.Next(packet.Length);
                if (random.Next(2) == 0)
                {
                    packet[at] ^= (byte)(1 << random.Next(8));
                }
                else
                {
                    packet[at] = (byte)random.Next(256);
                }
            }

            Check(packet);
        }
    }

    [Fact]
    public void FormerrForMalformedQuestionsWhenTheHeaderIsReadable()
    {
        byte[] header = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        var cases = new byte[][]
        {
            [.. header, 0xC0, 12, 0, 1, 0, 1],             // pointer loop as the question
            [.. header, 0xC0, 3, 0, 1, 0, 1],              // pointer into the header
            [.. header, 0x40, 0, 1, 0, 1],                 // extended label type
            [.. header, 5, (byte)'a', 0, 1, 0, 1],         // label runs past the end
            [.. header, 3, (byte)'w', (byte)'e', (byte)'b', 0, 0], // no type/class
            [.. header[..5], 2, .. header[6..], 1, (byte)'a', 0, 0, 1, 0, 1], // two questions
            [.. header[..5], 0, .. header[6..]],          // no question
        };
        foreach (var packet in cases)
        {
            var response = new byte[ushort.MaxValue];
            Assert.Equal(QueryOutcome.Respond, DnsQueryHandler.Handle(Set, packet, response, false, false, out var length));
            var parsed = DnsMessage.Parse(response.AsSpan(0, length));
            Assert.Equal(DnsResponseCode.FormErr, parsed.ResponseCode);
            Assert.Equal(0x1234, parsed.Id);
        }
    }

    [Fact]
    public void LongNamesOverTheLimitAreFormerr()
    {
        var packet = new List<byte> { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        for (var i = 0; i < 5; i++)
        {
            packet.Add(63);
            packet.AddRange(Enumerable.Repeat((byte)'a', 63));
        }

        packet.AddRange([0, 0, 1, 0, 1]);
        var response = new byte[ushort.MaxValue];
        DnsQueryHandler.Handle(Set, packet.ToArray(), response, false, false, out var length);
        Assert.Equal(DnsResponseCode.FormErr, DnsMessage.Parse(response.AsSpan(0, length)).ResponseCode);
    }

    [Fact]
    public void HugeRecordCountsAndBadAdditionalsAreFormerr()
    {
        var packet = Valid(edns: false);
        foreach (var countAt in new[] { 6, 8, 10 })
        {
            var bad = (byte[])packet.Clone();
            bad[countAt] = 0xFF;
            bad[countAt + 1] = 0xFF;
            var response = new byte[ushort.MaxValue];
            DnsQueryHandler.Handle(Set, bad, response, false, false, out var length);
            var parsed = DnsMessage.Parse(response.AsSpan(0, length));
            Assert.Equal(DnsResponseCode.FormErr, parsed.ResponseCode);
            Assert.Single(parsed.Questions);
        }

        // OPT in the answer section, and two OPTs
        var opt = new byte[] { 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0 };
        var misplaced = (byte[])packet.Clone();
        misplaced[7] = 1;
        var twice = Valid();
        twice[11] = 2;
        foreach (var bad in new[] { (byte[])[.. misplaced, .. opt], [.. twice, .. opt] })
        {
            var response = new byte[ushort.MaxValue];
            DnsQueryHandler.Handle(Set, bad, response, false, false, out var length);
            Assert.Equal(DnsResponseCode.FormErr, DnsMessage.Parse(response.AsSpan(0, length)).ResponseCode);
        }
    }

    [Fact]
    public void ResponsesAndShortPacketsAreDropped()
    {
        var response = new byte[ushort.MaxValue];
        var answer = Valid();
        answer[2] |= 0x80;
        Assert.Equal(QueryOutcome.Drop, DnsQueryHandler.Handle(Set, answer, response, false, false, out _));
        Assert.Equal(QueryOutcome.Drop, DnsQueryHandler.Handle(Set, new byte[11], response, false, false, out _));
    }

    [Fact]
    public void OtherOpcodesAreNotImplemented()
    {
        var update = Valid();
        update[2] = (byte)((update[2] & 0x87) | (5 << 3));
        var response = new byte[ushort.MaxValue];
        DnsQueryHandler.Handle(Set, update, response, false, false, out var length);
        var parsed = DnsMessage.Parse(response.AsSpan(0, length));
        Assert.Equal(DnsResponseCode.NotImp, parsed.ResponseCode);
        Assert.Equal(DnsOpcode.Update, parsed.Opcode);
    }

    [Fact]
    public void ZoneTransfersAndOtherClassesAreRefused()
    {
        var axfr = Valid("drover", (DnsRecordType)252);
        var chaos = new DnsMessage { Id = 5, Questions = [new DnsQuestion("web.service.drover", DnsRecordType.A, DnsClass.CH)] }.ToArray();
        foreach (var packet in new[] { axfr, chaos })
        {
            var response = new byte[ushort.MaxValue];
            DnsQueryHandler.Handle(Set, packet, response, true, false, out var length);
            Assert.Equal(DnsResponseCode.Refused, DnsMessage.Parse(response.AsSpan(0, length)).ResponseCode);
        }
    }
}
