using Drover.Core.Discovery;
using Drover.Dns.Records;
using Drover.Dns.Wire;
using static Drover.Dns.Tests.DnsTestClient;

namespace Drover.Dns.Tests;

/// <summary>
/// The ADDITIONAL section of SRV answers when several instances share a host: one address record
/// per SRV record (as Consul), so resolvers that pair them one to one (HAProxy) find an address
/// for every SRV record, within the size limits of UDP with and without EDNS0.
/// </summary>
public class AdditionalSectionTests
{
    private const string NodeTarget = "node-1.node.dc1.drover";
    private static readonly DnsOptions Options = new() { Recursors = [] };

    /// <summary><paramref name="count"/> instances of "shared" on node-1 (10.0.0.1), one port each (two with <paramref name="twoPorts"/>).</summary>
    private static DnsRecordSet OneHost(int count, bool twoPorts = false)
    {
        var instances = Enumerable.Range(1, count)
            .Select(i => TestCatalog.Instance("shared", i, "node-1", "10.0.0.1", 40000 + i, appId: "/shared",
                ports: twoPorts ? [40000 + i, 41000 + i] : null))
            .ToArray();
        return DnsRecordSet.Build(TestCatalog.Build(instances), Options, 1000);
    }

    /// <summary>
    /// HAProxy's pairing: each A/AAAA record of ADDITIONAL attaches to the first SRV answer with the
    /// same target that has none yet. Returns how many SRV answers got an address.
    /// </summary>
    private static int PairLikeHaproxy(DnsMessage message)
    {
        var srv = message.Answers.Select(a => ((DnsSrvData)a.Data).Target).ToList();
        var paired = new bool[srv.Count];
        foreach (var extra in message.Additionals.Where(a => a.Type is DnsRecordType.A or DnsRecordType.AAAA))
        {
            var i = Enumerable.Range(0, srv.Count).FirstOrDefault(i => !paired[i] && string.Equals(srv[i], extra.Name, StringComparison.OrdinalIgnoreCase), -1);
            Assert.True(i >= 0, $"additional record {extra.Name} matches no unpaired SRV answer");
            paired[i] = true;
        }

        return paired.Count(p => p);
    }

    [Theory]
    [InlineData("_shared._tcp.service.drover")]
    [InlineData("_shared._tcp.service.dc1.drover")]
    [InlineData("_shared._tcp.drover")]
    [InlineData("shared.service.drover")]
    public void ConsulStyleSrvRepeatsTheNodeAddressOncePerSrvRecord(string name)
    {
        var answer = Ask(OneHost(3), name, DnsRecordType.SRV);
        Assert.False(answer.Truncated);
        Assert.Equal([40001, 40002, 40003], answer.Answers.Select(a => (int)((DnsSrvData)a.Data).Port).Order());
        Assert.All(answer.Answers, a => Assert.Equal(NodeTarget, ((DnsSrvData)a.Data).Target));
        Assert.Equal(3, answer.Additionals.Count);
        Assert.All(answer.Additionals, a =>
        {
            Assert.Equal(NodeTarget, a.Name);
            Assert.Equal("10.0.0.1", ((DnsAddressData)a.Data).Address.ToString());
        });
        Assert.Equal(3, PairLikeHaproxy(answer));
    }

    [Fact]
    public void MarathonStyleSrvRepeatsTheTaskAddressOncePerPort()
    {
        var answer = Ask(OneHost(3, twoPorts: true), "_shared._tcp.marathon.drover", DnsRecordType.SRV);
        Assert.Equal(6, answer.Answers.Count);
        Assert.Equal(3, answer.Answers.Select(a => ((DnsSrvData)a.Data).Target).Distinct().Count());
        Assert.Equal(6, answer.Additionals.Count);
        // in answer order: additional i belongs to answer i
        Assert.Equal(answer.Answers.Select(a => ((DnsSrvData)a.Data).Target), answer.Additionals.Select(a => a.Name));
        Assert.Equal(6, PairLikeHaproxy(answer));
    }

    [Fact]
    public void EveryRotationPairsEachAnswerWithItsOwnAddress()
    {
        var set = OneHost(6);
        for (var i = 0; i < 50; i++)
        {
            var answer = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV, new DnsEdns(8192));
            Assert.Equal(6, answer.Answers.Count);
            Assert.Equal(6, answer.Additionals.Count(a => a.Type == DnsRecordType.A));
            Assert.Equal(6, PairLikeHaproxy(answer));
        }
    }

    [Fact]
    public void AdditionalsThatDoNotFit512BytesAreLeftOutWithoutTc()
    {
        // 10 SRV answers (42 bytes each: the target is never compressed, RFC 2782) fit 512 bytes,
        // their 10 A records (16 bytes each) do not: RFC 2181 §9, TC stays clear
        var set = OneHost(10);
        var udp = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV);
        Assert.False(udp.Truncated);
        Assert.Equal(10, udp.Answers.Count);
        Assert.InRange(udp.Additionals.Count, 1, 9);
        Assert.Equal(udp.Additionals.Count, PairLikeHaproxy(udp));

        var edns = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV, new DnsEdns(1232));
        Assert.False(edns.Truncated);
        Assert.Equal(10, edns.Additionals.Count(a => a.Type == DnsRecordType.A));
        Assert.Equal(10, PairLikeHaproxy(edns));
    }

    [Fact]
    public void ManyInstancesOnOneHostTruncateOverUdpAndComeWholeOverTcp()
    {
        var set = OneHost(120);
        var udp = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV);
        Assert.True(udp.Truncated);
        Assert.InRange(udp.Answers.Count, 1, 119);
        Assert.Empty(udp.Additionals); // answers were cut: the client retries over TCP anyway

        // 120 SRV answers exceed 1232 bytes as well
        var edns = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV, new DnsEdns(1232));
        Assert.True(edns.Truncated);
        Assert.True(edns.Answers.Count > udp.Answers.Count);

        var tcp = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV, tcp: true);
        Assert.False(tcp.Truncated);
        Assert.Equal(120, tcp.Answers.Count);
        Assert.Equal(120, tcp.Additionals.Count);
        Assert.Equal(120, PairLikeHaproxy(tcp));
    }

    [Fact]
    public void AnswerLimitSendsOneAddressPerSentAnswer()
    {
        var set = DnsRecordSet.Build(TestCatalog.Build(Enumerable.Range(1, 5)
            .Select(i => TestCatalog.Instance("shared", i, "node-1", "10.0.0.1", 40000 + i)).ToArray()), Options with { UdpAnswerLimit = 3 }, 1000);
        var udp = Ask(set, "_shared._tcp.service.drover", DnsRecordType.SRV);
        Assert.True(udp.Truncated);
        Assert.Equal(3, udp.Answers.Count);
        Assert.Equal(3, udp.Additionals.Count);
        Assert.Equal(3, PairLikeHaproxy(udp));
    }

    [Fact]
    public async Task HaproxySizedEdnsQueryOverRealUdpGetsEveryPair()
    {
        var instances = Enumerable.Range(1, 6).Select(i => TestCatalog.Instance("shared", i, "node-1", "10.0.0.1", 40000 + i)).ToArray();
        await using var server = DnsServerTests.Start(catalog: TestCatalog.Build(instances));
        var answer = await UdpAsync(server.UdpEndpoint, DnsMessage.Query("_shared._tcp.service.drover", DnsRecordType.SRV, 7, new DnsEdns(8192)));
        Assert.False(answer.Truncated);
        Assert.Equal(6, answer.Answers.Count);
        Assert.Equal(6, answer.Additionals.Count(a => a.Type == DnsRecordType.A));
        Assert.Equal(6, PairLikeHaproxy(answer));
    }
}
