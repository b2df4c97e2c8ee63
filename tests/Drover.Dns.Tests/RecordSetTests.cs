using System.Net;
using Drover.Core.Discovery;
using Drover.Dns.Records;
using Drover.Dns.Wire;
using static Drover.Dns.Tests.DnsTestClient;

namespace Drover.Dns.Tests;

public class RecordSetTests
{
    private static readonly DnsOptions Options = new() { Recursors = [] };

    private static DnsRecordSet Set(DnsOptions? options = null, CatalogSnapshot? catalog = null) =>
        DnsRecordSet.Build(catalog ?? TestCatalog.Build(), options ?? Options, 1000);

    [Theory]
    [InlineData("web.service.drover")]
    [InlineData("WEB.Service.DROVER.")]
    [InlineData("web.service.dc1.drover")]
    [InlineData("_web._tcp.service.drover")]
    [InlineData("_web._tcp.drover")]
    [InlineData("_web._tcp.service.dc1.drover")]
    public void ServiceNamesAnswerEveryPassingInstance(string name)
    {
        var answer = Ask(Set(), name, DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NoError, answer.ResponseCode);
        Assert.True(answer.Authoritative);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], AddressStrings(answer));
        Assert.All(answer.Answers, a => Assert.Equal(0u, a.Ttl));
        Assert.Equal(name, answer.Questions[0].Name + (name.EndsWith('.') ? "." : ""));
    }

    [Fact]
    public void SrvAnswersPointAtNodesWithTheirAddressesInAdditional()
    {
        var answer = Ask(Set(), "_web._tcp.service.drover", DnsRecordType.SRV);
        var srv = answer.Answers.Select(a => (DnsSrvData)a.Data).OrderBy(s => s.Port).ToList();
        Assert.Equal([31001, 31002, 31003], srv.Select(s => (int)s.Port));
        Assert.All(srv, s => Assert.Equal((1, 1), (s.Priority, s.Weight)));
        Assert.Equal(["node-1.node.dc1.drover", "node-2.node.dc1.drover", "node-3.node.dc1.drover"], srv.Select(s => s.Target));
        var additional = answer.Additionals.ToDictionary(a => a.Name, a => ((DnsAddressData)a.Data).Address.ToString());
        Assert.Equal("10.0.0.1", additional["node-1.node.dc1.drover"]);
        Assert.Equal(3, additional.Count);
    }

    [Fact]
    public void ServiceNameAnswersSrvWhenAskedForSrv()
    {
        var answer = Ask(Set(), "web.service.drover", DnsRecordType.SRV);
        Assert.Equal(3, answer.Answers.Count);
        Assert.All(answer.Answers, a => Assert.Equal(DnsRecordType.SRV, a.Type));
    }

    [Fact]
    public void AnInstanceWithItsOwnAddressGetsAnAddrTarget()
    {
        var set = Set();
        var answer = Ask(set, "_api._tcp.service.drover", DnsRecordType.SRV);
        var srv = (DnsSrvData)Assert.Single(answer.Answers).Data;
        Assert.Equal("ac110005.addr.dc1.drover", srv.Target);
        Assert.Equal("172.17.0.5", ((DnsAddressData)Assert.Single(answer.Additionals).Data).Address.ToString());
        Assert.Equal(["172.17.0.5"], AddressStrings(Ask(set, "ac110005.addr.dc1.drover", DnsRecordType.A)));
    }

    [Theory]
    [InlineData("v1.web.service.drover", new[] { "10.0.0.1", "10.0.0.2" })]
    [InlineData("v2.web.service.dc1.drover", new[] { "10.0.0.3" })]
    [InlineData("_web._v1.service.drover", new[] { "10.0.0.1", "10.0.0.2" })]
    [InlineData("_web._blue.drover", new[] { "10.0.0.1" })]
    [InlineData("_web._v2.service.dc1.drover", new[] { "10.0.0.3" })]
    public void TagsFilterInstances(string name, string[] expected)
    {
        Assert.Equal(expected, AddressStrings(Ask(Set(), name, DnsRecordType.A)));
        Assert.Equal(expected.Length, Ask(Set(), name, DnsRecordType.SRV).Answers.Count);
    }

    [Fact]
    public void MarathonNamesFollowMesosDns()
    {
        var set = Set();
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], AddressStrings(Ask(set, "web.marathon.drover", DnsRecordType.A)));

        var srv = Ask(set, "_web._tcp.marathon.drover", DnsRecordType.SRV);
        Assert.Equal(6, srv.Answers.Count); // every port of every task
        var records = srv.Answers.Select(a => (DnsSrvData)a.Data).ToList();
        Assert.All(records, r => Assert.Equal((0, 1), (r.Priority, r.Weight)));
        var task = records.Single(r => r.Port == 31101).Target;
        Assert.Matches("^web-[a-z0-9]{5}-node-1\\.marathon\\.drover$", task);
        Assert.Contains(records, r => r.Port == 31001 && r.Target == task);
        Assert.Equal(["10.0.0.1"], AddressStrings(Ask(set, task, DnsRecordType.A)));
        Assert.Equal(6, srv.Additionals.Count); // one A record per SRV record, as Consul does

        // external services (no AppId) have no marathon names
        Assert.Equal(DnsResponseCode.NXDomain, Ask(set, "api.marathon.drover", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void MesosTaskHashMatchesMesosDns() =>
        Assert.Equal("jhy6r", MesosNames.TaskHash("nginx.48dccce7-90bc-11e6-ae70-70b3d5800001"));

    [Theory]
    [InlineData("apiserver.myservice", "apiserver-myservice")]
    [InlineData("My_App!", "my-app")]
    [InlineData("-leading", "leading")]
    [InlineData("foo..bar", "foo--bar")]
    [InlineData("a-very-long-task-name-that-exceeds-the-limit", "a-very-long-task-name-that-exceeds-the-limit")]
    public void MesosLabelsFollowRfc1123(string input, string expected) => Assert.Equal(expected, MesosNames.Label(input));

    [Fact]
    public void NodeAndLeaderNames()
    {
        var set = Set();
        Assert.Equal(["10.0.0.2"], AddressStrings(Ask(set, "node-2.node.drover", DnsRecordType.A)));
        Assert.Equal(["10.0.0.2"], AddressStrings(Ask(set, "node-2.node.dc1.drover", DnsRecordType.A)));
        Assert.Equal(["10.0.0.9"], AddressStrings(Ask(set, "leader.drover", DnsRecordType.A)));
        var srv = (DnsSrvData)Assert.Single(Ask(set, "_leader._tcp.drover", DnsRecordType.SRV).Answers).Data;
        Assert.Equal((8080, "leader.drover"), (srv.Port, srv.Target));
    }

    [Fact]
    public void CriticalInstancesAreNeverAnsweredWarningOnesAreUnlessOnlyPassing()
    {
        Assert.Equal(["10.0.0.1", "10.0.0.2"], AddressStrings(Ask(Set(), "db.service.drover", DnsRecordType.A)));
        Assert.Equal(["10.0.0.1"], AddressStrings(Ask(Set(Options with { OnlyPassing = true }), "db.service.drover", DnsRecordType.A)));

        // a service whose only instance is critical does not exist
        var down = Ask(Set(), "down.service.drover", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NXDomain, down.ResponseCode);
        Assert.Empty(down.Answers);
    }

    [Fact]
    public void FailoverNameAnswersTheBestTagAndMovesWhenItFails()
    {
        var set = Set();
        Assert.Equal(["10.0.0.1"], AddressStrings(Ask(set, "db-vip.service.drover", DnsRecordType.A)));
        var srv = (DnsSrvData)Assert.Single(Ask(set, "_db-vip._tcp.service.drover", DnsRecordType.SRV).Answers).Data;
        Assert.Equal("node-1.node.dc1.drover", srv.Target);
        Assert.Equal("master", set.Failover["db"].Tag);

        var masterDown = TestCatalog.Build() with
        {
            Instances = TestCatalog.Build().Instances
                .Select(i => i.Id == "db.0001" ? i with { Health = HealthStatus.Critical } : i).ToList(),
        };
        var after = DnsRecordSet.Build(masterDown, Options, 1001, set.Failover);
        Assert.Equal(["10.0.0.2"], AddressStrings(Ask(after, "db-vip.service.drover", DnsRecordType.A)));
        Assert.Equal("slave", after.Failover["db"].Tag);
    }

    [Fact]
    public void FailoverAliasCanBeDeclared()
    {
        var catalog = TestCatalog.Build() with
        {
            Failover = [new FailoverPolicy { Service = "db", TagPriority = ["slave", "master"], Alias = "mysql-vip" }],
        };
        var set = Set(catalog: catalog);
        Assert.Equal(["10.0.0.2"], AddressStrings(Ask(set, "mysql-vip.service.drover", DnsRecordType.A)));
        Assert.Equal(DnsResponseCode.NXDomain, Ask(set, "db-vip.service.drover", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void UnknownNamesGetNxdomainWithSoa()
    {
        var set = Set();
        foreach (var name in new[] { "nope.service.drover", "web.service.dc2.drover", "x.y.z.drover", "a\\.b.service.drover" })
        {
            var answer = Ask(set, name, DnsRecordType.A);
            Assert.Equal(DnsResponseCode.NXDomain, answer.ResponseCode);
            Assert.True(answer.Authoritative);
            Assert.Empty(answer.Answers);
            var soa = Assert.Single(answer.Authorities);
            Assert.Equal("drover", soa.Name);
            var data = (DnsSoaData)soa.Data;
            Assert.Equal(("ns.drover", "hostmaster.drover", 1000u), (data.PrimaryServer, data.Mailbox, data.Serial));
            Assert.Equal((3600u, 600u, 86400u, 0u), (data.Refresh, data.Retry, data.Expire, data.Minimum));
        }
    }

    [Theory]
    [InlineData("web.service.drover", DnsRecordType.AAAA)]
    [InlineData("web.service.drover", DnsRecordType.TXT)]
    [InlineData("node-1.node.drover", DnsRecordType.SRV)]
    [InlineData("service.drover", DnsRecordType.A)]
    [InlineData("_tcp.service.drover", DnsRecordType.SRV)]
    [InlineData("marathon.drover", DnsRecordType.A)]
    [InlineData("dc1.drover", DnsRecordType.A)]
    public void ExistingNamesWithoutThatTypeGetNodataWithSoa(string name, DnsRecordType type)
    {
        var answer = Ask(Set(), name, type);
        Assert.Equal(DnsResponseCode.NoError, answer.ResponseCode);
        Assert.Empty(answer.Answers);
        Assert.Equal(DnsRecordType.SOA, Assert.Single(answer.Authorities).Type);
    }

    [Fact]
    public void Ipv6InstancesAnswerAaaa()
    {
        var set = Set();
        var aaaa = Ask(set, "v6.service.drover", DnsRecordType.AAAA);
        Assert.Equal("fd00::1", Assert.Single(Addresses(aaaa)).ToString());
        Assert.Equal(DnsRecordType.AAAA, aaaa.Answers[0].Type);
        Assert.Empty(Ask(set, "v6.service.drover", DnsRecordType.A).Answers);
        var srv = Ask(set, "_v6._tcp.service.drover", DnsRecordType.SRV);
        Assert.Equal(DnsRecordType.AAAA, Assert.Single(srv.Additionals).Type);
    }

    [Fact]
    public void ApexAnswersSoaAndNs()
    {
        var set = Set(Options with { UdpListen = new IPEndPoint(IPAddress.Loopback, 0) });
        var soa = Ask(set, "drover", DnsRecordType.SOA);
        Assert.Equal(DnsRecordType.SOA, Assert.Single(soa.Answers).Type);
        var ns = Ask(set, "drover", DnsRecordType.NS);
        Assert.Equal("ns.drover", ((DnsNameData)Assert.Single(ns.Answers).Data).Name);
        Assert.Equal("127.0.0.1", ((DnsAddressData)Assert.Single(ns.Additionals).Data).Address.ToString());
    }

    [Fact]
    public void TtlsComeFromTheOptions()
    {
        var set = Set(Options with { ServiceTtl = 30, NodeTtl = 60, NegativeTtl = 5 });
        Assert.All(Ask(set, "web.service.drover", DnsRecordType.A).Answers, a => Assert.Equal(30u, a.Ttl));
        var srv = Ask(set, "_web._tcp.service.drover", DnsRecordType.SRV);
        Assert.All(srv.Answers, a => Assert.Equal(30u, a.Ttl));
        Assert.All(srv.Additionals, a => Assert.Equal(60u, a.Ttl));
        Assert.All(Ask(set, "node-1.node.drover", DnsRecordType.A).Answers, a => Assert.Equal(60u, a.Ttl));
        var negative = Assert.Single(Ask(set, "nope.service.drover", DnsRecordType.A).Authorities);
        Assert.Equal(5u, negative.Ttl);
        Assert.Equal(5u, ((DnsSoaData)negative.Data).Minimum);
    }

    [Fact]
    public void ConsulAndMesosDomainsWork()
    {
        var consul = Set(Options with { Domain = "Consul.", Datacenter = "east" });
        Assert.Equal(3, Ask(consul, "web.service.east.consul", DnsRecordType.A).Answers.Count);
        Assert.Equal("consul", Assert.Single(Ask(consul, "nope.service.consul", DnsRecordType.A).Authorities).Name);
        var mesos = Set(Options with { Domain = "mesos" });
        Assert.Equal(6, Ask(mesos, "_web._tcp.marathon.mesos", DnsRecordType.SRV).Answers.Count);
    }

    [Fact]
    public void AnswersAreShuffledAcrossQueries()
    {
        var set = Set();
        var firsts = Enumerable.Range(0, 200)
            .Select(_ => Addresses(Ask(set, "web.service.drover", DnsRecordType.A))[0].ToString())
            .ToHashSet();
        Assert.Equal(3, firsts.Count);
    }

    [Fact]
    public void QuestionCaseIsEchoedForDns0x20()
    {
        var answer = Ask(Set(), "WeB.sErViCe.DrOvEr", DnsRecordType.A);
        Assert.Equal("WeB.sErViCe.DrOvEr", answer.Questions[0].Name);
        Assert.All(answer.Answers, a => Assert.Equal("WeB.sErViCe.DrOvEr", a.Name));
    }

    [Fact]
    public void EdnsIsEchoedAndBadVersionsAreRefused()
    {
        var set = Set();
        var answer = Ask(set, "web.service.drover", DnsRecordType.A, new DnsEdns(4096, DnssecOk: true));
        Assert.NotNull(answer.Edns);
        Assert.Equal(1232, answer.Edns!.UdpPayloadSize);
        Assert.True(answer.Edns.DnssecOk);
        Assert.Null(Ask(set, "web.service.drover", DnsRecordType.A).Edns);

        var badVersion = Ask(set, "web.service.drover", DnsRecordType.A, new DnsEdns(4096, Version: 1));
        Assert.Equal(DnsResponseCode.BadVers, badVersion.ResponseCode);
        Assert.Empty(badVersion.Answers);
    }

    [Theory]
    [InlineData("evil\\.drover")]
    [InlineData("x.evil\\.drover")]
    [InlineData("xdrover")]
    public void NamesThatOnlyLookLikeTheZoneAreNotInIt(string name)
    {
        Assert.Equal(DnsResponseCode.Refused, Ask(Set(), name, DnsRecordType.A).ResponseCode);
        var query = DnsMessage.Query(name, DnsRecordType.A).ToArray();
        var outcome = Drover.Dns.Server.DnsQueryHandler.Handle(Set(), query, new byte[ushort.MaxValue], false, canForward: true, out _);
        Assert.Equal(Drover.Dns.Server.QueryOutcome.Forward, outcome);
    }

    [Fact]
    public void OutOfZoneNamesAreRefusedWithoutRecursors()
    {
        var answer = Ask(Set(), "example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.Refused, answer.ResponseCode);
        Assert.False(answer.RecursionAvailable);
    }

    [Fact]
    public void LargeAnswersAreTrimmedWithTcOverUdpAndWholeOverTcp()
    {
        var many = Enumerable.Range(1, 60).Select(i => TestCatalog.Instance("big", i, $"node-{i}", $"10.1.0.{i}", 20000 + i)).ToArray();
        var catalog = TestCatalog.Build(many) with
        {
            Nodes = [.. TestCatalog.Build().Nodes, .. many.Select(i => new CatalogNode(i.Node, i.Address))],
        };
        var set = Set(catalog: catalog);

        var udp = Ask(set, "_big._tcp.service.drover", DnsRecordType.SRV);
        Assert.True(udp.Truncated);
        Assert.InRange(udp.Answers.Count, 1, 59);
        Assert.Empty(udp.Additionals);

        var edns = Ask(set, "_big._tcp.service.drover", DnsRecordType.SRV, new DnsEdns(4096));
        Assert.True(edns.Truncated);
        Assert.True(edns.Answers.Count > udp.Answers.Count);

        var tcp = Ask(set, "_big._tcp.service.drover", DnsRecordType.SRV, tcp: true);
        Assert.False(tcp.Truncated);
        Assert.Equal(60, tcp.Answers.Count);
        Assert.Equal(60, tcp.Additionals.Count);

        // 60 A records (16 bytes each) fit a 1232-byte EDNS answer but not 512 bytes
        Assert.True(Ask(set, "big.service.drover", DnsRecordType.A).Truncated);
        var fits = Ask(set, "big.service.drover", DnsRecordType.A, new DnsEdns(1232));
        Assert.False(fits.Truncated);
        Assert.Equal(60, fits.Answers.Count);
    }

    [Fact]
    public void UdpAnswerLimitKeepsAdditionalsOfTheAnswersItSends()
    {
        var set = Set(Options with { UdpAnswerLimit = 2 });
        var udp = Ask(set, "_web._tcp.service.drover", DnsRecordType.SRV);
        Assert.Equal(2, udp.Answers.Count);
        Assert.True(udp.Truncated);
        var targets = udp.Answers.Select(a => ((DnsSrvData)a.Data).Target).Order().ToArray();
        Assert.Equal(targets, udp.Additionals.Select(a => a.Name).Order().ToArray());
        Assert.Equal(3, Ask(set, "_web._tcp.service.drover", DnsRecordType.SRV, tcp: true).Answers.Count);

        var quiet = Set(Options with { UdpAnswerLimit = 2, TruncateOnAnswerLimit = false });
        Assert.False(Ask(quiet, "web.service.drover", DnsRecordType.A).Truncated);
    }

    [Fact]
    public void AnyAnswersEveryRecordOfTheName()
    {
        var answer = Ask(Set(), "web.service.drover", DnsRecordType.ANY, tcp: true);
        Assert.Equal(3, answer.Answers.Count(a => a.Type == DnsRecordType.A));
        Assert.Equal(3, answer.Answers.Count(a => a.Type == DnsRecordType.SRV));
    }

    [Fact]
    public void LookupApiIsCaseInsensitive()
    {
        var set = Set();
        Assert.True(set.Contains("WEB.service.drover."));
        Assert.Equal(3, set.GetAddresses("Web.Service.Drover").Count);
        Assert.Equal(3, set.GetSrv("_web._tcp.service.drover.").Count);
        Assert.True(set.IsInZone("x.DROVER."));
        Assert.False(set.IsInZone("xdrover"));
    }

    [Fact]
    public void NamesThatAreNotDnsLabelsAreSkipped()
    {
        var odd = new[]
        {
            TestCatalog.Instance("ok", 1, "node-1", "10.0.0.1", 1, tags: ["traefik.enable=true", "fine"]),
            TestCatalog.Instance("bad name", 1, "node-1", "10.0.0.1", 1),
            TestCatalog.Instance(new string('x', 64), 1, "node-1", "10.0.0.1", 1),
            TestCatalog.Instance("hostaddr", 1, "node-1", "db.example.com", 5432),
        };
        var set = Set(catalog: TestCatalog.Build(odd));
        Assert.True(set.Contains("fine.ok.service.drover"));
        Assert.DoesNotContain(set.Names, n => n.Contains("traefik") || n.Contains(' ') || n.Contains("xxxxxxxx"));
        var srv = Assert.Single(set.GetSrv("_hostaddr._tcp.service.drover"));
        Assert.Equal("db.example.com", srv.Target);
        Assert.Empty(set.GetAddresses("hostaddr.service.drover"));
    }
}
