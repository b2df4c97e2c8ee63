using System.Text.Json;
using Drover.Dns.MesosDns;
using Drover.Dns.Records;

namespace Drover.Dns.Tests;

public class MesosDnsApiTests
{
    private static readonly DnsOptions Options = new() { Domain = "mesos", Recursors = [] };
    private static readonly DnsRecordSet Set = DnsRecordSet.Build(TestCatalog.Build(), Options, 3);

    [Fact]
    public void ServicesListSrvTargetsWithIpAndPortAsString()
    {
        var records = MesosDnsApi.Services(Set, "_web._tcp.marathon.mesos.");
        Assert.Equal(6, records.Count);
        Assert.All(records, r => Assert.Equal("_web._tcp.marathon.mesos.", r.Service));
        var first = records.Single(r => r.Port == "31001");
        Assert.Matches("^web-[a-z0-9]{5}-node-1\\.marathon\\.mesos\\.$", first.Host);
        Assert.Equal("10.0.0.1", first.Ip);

        var json = JsonSerializer.Serialize(records, MesosDnsJsonContext.Default.IReadOnlyListMesosDnsServiceRecord);
        Assert.Contains("\"port\":\"31001\"", json);
        Assert.Contains("\"service\":\"_web._tcp.marathon.mesos.\"", json);
    }

    [Fact]
    public void UnknownServiceOrHostGivesOneEmptyRecord()
    {
        Assert.Equal([new MesosDnsServiceRecord("", "", "", "")], MesosDnsApi.Services(Set, "_nope._tcp.marathon.mesos."));
        Assert.Equal([new MesosDnsHostRecord("", "")], MesosDnsApi.Hosts(Set, "nope.marathon.mesos"));
        Assert.Equal([new MesosDnsHostRecord("", "")], MesosDnsApi.Hosts(Set, "bad..name"));
        Assert.Equal("[{\"host\":\"\",\"ip\":\"\"}]",
            JsonSerializer.Serialize(MesosDnsApi.Hosts(Set, "x"), MesosDnsJsonContext.Default.IReadOnlyListMesosDnsHostRecord));
    }

    [Fact]
    public void HostsAreCaseInsensitiveWithOptionalTrailingDot()
    {
        var hosts = MesosDnsApi.Hosts(Set, "WEB.marathon.mesos");
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], hosts.Select(h => h.Ip).Order());
        Assert.All(hosts, h => Assert.Equal("web.marathon.mesos.", h.Host));
    }

    [Fact]
    public void VersionAndConfigUseMesosDnsFieldNames()
    {
        var version = JsonSerializer.Serialize(MesosDnsApi.Version("1.2.3"), MesosDnsJsonContext.Default.MesosDnsVersion);
        Assert.Equal("{\"Service\":\"Mesos-DNS\",\"Version\":\"1.2.3\",\"URL\":\"https://github.com/mesosphere/mesos-dns\"}", version);

        var config = JsonSerializer.Serialize(MesosDnsApi.Config(Options, Set), MesosDnsJsonContext.Default.MesosDnsConfig);
        using var doc = JsonDocument.Parse(config);
        foreach (var field in new[] { "RefreshSeconds", "Port", "TTL", "SRVRecordDefaultWeight", "SOASerial", "SOAMname", "SOARname",
                     "Masters", "ZoneResolvers", "Resolvers", "IPSources", "Domain", "Listener", "HTTPListener", "RecurseOn", "DnsOn",
                     "ExternalOn", "EnforceRFC952", "SetTruncateBit", "MesosHTTPSOn", "MesosCredentials", "IAMConfigFile", "MesosAuthentication" })
        {
            Assert.True(doc.RootElement.TryGetProperty(field, out _), field);
        }

        Assert.Equal("mesos", doc.RootElement.GetProperty("Domain").GetString());
        Assert.Equal(3u, doc.RootElement.GetProperty("SOASerial").GetUInt32());
        Assert.Equal("ns.mesos.", doc.RootElement.GetProperty("SOAMname").GetString());
    }
}
