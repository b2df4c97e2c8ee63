using System.Diagnostics;
using System.Text.RegularExpressions;
using Drover.Core.Discovery;

namespace Drover.Dns.Tests;

/// <summary>Skips (with the reason) when dig is not installed; test.sh installs dnsutils.</summary>
public sealed class DigFactAttribute : FactAttribute
{
    public static readonly string? DigPath = new[] { "/usr/bin/dig", "/bin/dig", "/usr/local/bin/dig" }.FirstOrDefault(File.Exists);

    public DigFactAttribute()
    {
        if (DigPath is null)
        {
            Skip = "dig is not installed (apt-get install dnsutils; test.sh installs it)";
        }
    }
}

/// <summary>A real resolver client (BIND's dig) against the real server on a free port.</summary>
public partial class DigTests
{
    private sealed record DigResult(string Status, string[] Flags, List<string[]> Answer, List<string[]> Authority, List<string[]> Additional, string Output);

    private static async Task<DigResult> Dig(DnsServer server, string name, string type, params string[] extra)
    {
        var info = new ProcessStartInfo(DigFactAttribute.DigPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "@127.0.0.1", "-p", server.UdpEndpoint.Port.ToString(), name, type, "+time=3", "+tries=1" }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var output = process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("dig did not finish");
        }

        var text = await output + await error;
        var status = StatusRegex().Match(text);
        Assert.True(status.Success, "dig printed no status:\n" + text);
        var flags = FlagsRegex().Match(text).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new DigResult(status.Groups[1].Value, flags, Section(text, "ANSWER"), Section(text, "AUTHORITY"), Section(text, "ADDITIONAL"), text);
    }

    /// <summary>Records of a section as whitespace-split fields: name, ttl, class, type, data...</summary>
    private static List<string[]> Section(string output, string section)
    {
        var lines = output.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith($";; {section} SECTION:", StringComparison.Ordinal));
        if (start < 0)
        {
            return [];
        }

        return lines.Skip(start + 1).TakeWhile(l => l.Trim().Length > 0)
            .Where(l => !l.StartsWith(';'))
            .Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@";; flags: ([a-z ]+);")]
    private static partial Regex FlagsRegex();

    [DigFact]
    public async Task ServiceAOverUdp()
    {
        await using var server = DnsServerTests.Start();
        var result = await Dig(server, "web.service.drover", "A");
        Assert.Equal("NOERROR", result.Status);
        Assert.Contains("aa", result.Flags);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], result.Answer.Select(r => r[4]).Order());
        Assert.All(result.Answer, r => Assert.Equal(("web.service.drover.", "0", "IN", "A"), (r[0], r[1], r[2], r[3])));
    }

    [DigFact]
    public async Task SrvOverTcpWithAdditionalAddresses()
    {
        await using var server = DnsServerTests.Start();
        var result = await Dig(server, "_web._tcp.service.drover", "SRV", "+tcp");
        Assert.Equal("NOERROR", result.Status);
        Assert.Equal(3, result.Answer.Count);
        Assert.Contains(result.Answer, r => r[3] == "SRV" && r[4] == "1" && r[5] == "1" && r[6] == "31001" && r[7] == "node-1.node.dc1.drover.");
        Assert.Contains(result.Additional, r => r[0] == "node-1.node.dc1.drover." && r[3] == "A" && r[4] == "10.0.0.1");
        Assert.Equal(3, result.Additional.Count(r => r[3] == "A"));
    }

    [DigFact]
    public async Task NxdomainAndNodataCarryTheSoa()
    {
        await using var server = DnsServerTests.Start();
        var missing = await Dig(server, "nope.service.drover", "A");
        Assert.Equal("NXDOMAIN", missing.Status);
        var soa = Assert.Single(missing.Authority);
        Assert.Equal(("drover.", "SOA", "ns.drover.", "hostmaster.drover."), (soa[0], soa[3], soa[4], soa[5]));

        var aaaa = await Dig(server, "web.service.drover", "AAAA");
        Assert.Equal("NOERROR", aaaa.Status);
        Assert.Empty(aaaa.Answer);
        Assert.Equal("SOA", Assert.Single(aaaa.Authority)[3]);
    }

    [DigFact]
    public async Task TruncatedUdpAnswerMakesDigRetryOverTcp()
    {
        var many = Enumerable.Range(1, 80).Select(i => TestCatalog.Instance("big", i, "node-1", $"10.2.0.{i}", 30000 + i)).ToArray();
        await using var server = DnsServerTests.Start(catalog: TestCatalog.Build(many));
        var result = await Dig(server, "_big._tcp.service.drover", "SRV", "+noedns");
        Assert.Contains("Truncated, retrying in TCP mode", result.Output);
        Assert.Equal(80, result.Answer.Count);
    }

    [DigFact]
    public async Task MarathonFailoverAndLeaderNames()
    {
        await using var server = DnsServerTests.Start(new DnsOptions { Recursors = [], Domain = "mesos" });
        var srv = await Dig(server, "_web._tcp.marathon.mesos", "SRV");
        Assert.Equal(6, srv.Answer.Count);
        Assert.All(srv.Answer, r => Assert.Equal(("0", "1"), (r[4], r[5])));
        Assert.Equal(["10.0.0.1"], (await Dig(server, "db-vip.service.mesos", "A")).Answer.Select(r => r[4]));
        Assert.Equal(["10.0.0.9"], (await Dig(server, "leader.mesos", "A")).Answer.Select(r => r[4]));
    }

    [DigFact]
    public async Task OutOfZoneNamesAreForwarded()
    {
        await using var upstream = new FakeUpstream(records: 1);
        await using var server = DnsServerTests.Start(new DnsOptions { Recursors = [upstream.Endpoint] });
        var udp = await Dig(server, "www.example.com", "A");
        Assert.Equal("NOERROR", udp.Status);
        Assert.Contains("ra", udp.Flags);
        Assert.Equal(["192.0.2.2"], udp.Answer.Select(r => r[4]));
        var tcp = await Dig(server, "www.example.net", "A", "+tcp");
        Assert.Equal(["192.0.2.2"], tcp.Answer.Select(r => r[4]));
    }

    [DigFact]
    public async Task CriticalInstancesAreNotAnswered()
    {
        var catalog = TestCatalog.Build() with
        {
            Instances = TestCatalog.Build().Instances.Select(i => i.Service == "web" && i.Node == "node-2" ? i with { Health = HealthStatus.Critical } : i).ToList(),
        };
        await using var server = DnsServerTests.Start(catalog: catalog);
        Assert.Equal(["10.0.0.1", "10.0.0.3"], (await Dig(server, "web.service.drover", "A")).Answer.Select(r => r[4]).Order());
    }
}
