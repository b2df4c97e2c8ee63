using Drover.Core.Hosting;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Discovery;
using Drover.Dns.Wire;
using static Drover.Dns.Tests.DnsTestClient;

namespace Drover.Dns.Tests;

public class DnsServerTests
{
    internal static DnsServer Start(DnsOptions? options = null, CatalogSnapshot? catalog = null)
    {
        var server = new DnsServer((options ?? new DnsOptions { Recursors = [] }) with { UdpListen = new IPEndPoint(IPAddress.Loopback, 0) });
        server.Start();
        Assert.True(server.Update(catalog ?? TestCatalog.Build()));
        return server;
    }

    private static DnsMessage Q(string name, DnsRecordType type, DnsEdns? edns = null) => DnsMessage.Query(name, type, (ushort)Random.Shared.Next(), edns);

    [Fact]
    public async Task AnswersOverUdpAndTcpOnOneFreePort()
    {
        await using var server = Start();
        Assert.NotEqual(0, server.UdpEndpoint.Port);
        Assert.Equal(server.UdpEndpoint, server.TcpEndpoint);

        var udp = await UdpAsync(server.UdpEndpoint, Q("web.service.drover", DnsRecordType.A));
        Assert.Equal(3, udp.Answers.Count);
        var tcp = await TcpAsync(server.TcpEndpoint, Q("_web._tcp.service.drover", DnsRecordType.SRV));
        Assert.Equal(3, tcp.Answers.Count);
        Assert.Equal(3, tcp.Additionals.Count);
    }

    [Fact]
    public async Task TruncatedUdpAnswerIsWholeOverTcp()
    {
        var many = Enumerable.Range(1, 80).Select(i => TestCatalog.Instance("big", i, "node-1", $"10.2.0.{i}", 30000 + i)).ToArray();
        await using var server = Start(catalog: TestCatalog.Build(many));
        var udp = await UdpAsync(server.UdpEndpoint, Q("_big._tcp.service.drover", DnsRecordType.SRV));
        Assert.True(udp.Truncated);
        var tcp = await TcpAsync(server.TcpEndpoint, Q("_big._tcp.service.drover", DnsRecordType.SRV));
        Assert.False(tcp.Truncated);
        Assert.Equal(80, tcp.Answers.Count);
        Assert.Equal(80, tcp.Additionals.Count);
    }

    [Fact]
    public async Task PipelinedTcpQueriesAreAnsweredInOrder()
    {
        await using var server = Start();
        using var socket = await ConnectAsync(server.TcpEndpoint);
        var queries = new[] { "web.service.drover", "nope.service.drover", "db-vip.service.drover" }
            .Select((n, i) => DnsMessage.Query(n, DnsRecordType.A, (ushort)(100 + i))).ToList();
        foreach (var q in queries)
        {
            await SendFramedAsync(socket, q.ToArray());
        }

        var answers = new List<DnsMessage>();
        for (var i = 0; i < queries.Count; i++)
        {
            answers.Add(DnsMessage.Parse(await ReadFramedAsync(socket)));
        }

        Assert.Equal([100, 101, 102], answers.Select(a => (int)a.Id));
        Assert.Equal([DnsResponseCode.NoError, DnsResponseCode.NXDomain, DnsResponseCode.NoError], answers.Select(a => a.ResponseCode));
    }

    [Fact]
    public async Task OutOfZoneNamesAreForwardedOverUdpAndTcp()
    {
        await using var upstream = new FakeUpstream(records: 2);
        await using var server = Start(new DnsOptions { Recursors = [upstream.Endpoint] });

        var udp = await UdpAsync(server.UdpEndpoint, Q("example.com", DnsRecordType.A));
        Assert.Equal(DnsResponseCode.NoError, udp.ResponseCode);
        Assert.Equal(["192.0.2.2", "192.0.2.3"], AddressStrings(udp));
        var tcp = await TcpAsync(server.TcpEndpoint, Q("Example.ORG", DnsRecordType.A));
        Assert.Equal(2, tcp.Answers.Count);
        Assert.Equal("Example.ORG", tcp.Questions[0].Name);

        // names in the zone are still ours, with RA set now that recursion is available
        var own = await UdpAsync(server.UdpEndpoint, Q("web.service.drover", DnsRecordType.A));
        Assert.True(own.RecursionAvailable && own.Authoritative);
        Assert.Equal(2, upstream.UdpQueries);
    }

    [Fact]
    public async Task TruncatedUpstreamAnswersAreRetriedOverTcpForTcpClients()
    {
        await using var upstream = new FakeUpstream(records: 100, truncateUdp: true);
        await using var server = Start(new DnsOptions { Recursors = [upstream.Endpoint] });

        var udp = await UdpAsync(server.UdpEndpoint, Q("big.example.com", DnsRecordType.A));
        Assert.True(udp.Truncated); // relayed as is: the client retries over TCP
        var tcp = await TcpAsync(server.TcpEndpoint, Q("big.example.com", DnsRecordType.A));
        Assert.False(tcp.Truncated);
        Assert.Equal(100, tcp.Answers.Count);
        Assert.Equal(1, upstream.TcpQueries);
    }

    [Fact]
    public async Task SilentRecursorIsSkippedAndAllSilentMeansServfail()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var silentEndpoint = (IPEndPoint)silent.LocalEndPoint!;
        await using var upstream = new FakeUpstream();
        var timeout = TimeSpan.FromMilliseconds(300);

        // generous here: the live upstream must answer within it even on a loaded machine
        await using (var server = Start(new DnsOptions { Recursors = [silentEndpoint, upstream.Endpoint], ForwardTimeout = TimeSpan.FromSeconds(2) }))
        {
            for (var i = 0; i < 2; i++) // the rotation starts once at each recursor
            {
                Assert.Equal(DnsResponseCode.NoError, (await UdpAsync(server.UdpEndpoint, Q("a.example", DnsRecordType.A))).ResponseCode);
            }
        }

        await using var alone = Start(new DnsOptions { Recursors = [silentEndpoint], ForwardTimeout = timeout });
        var watch = Stopwatch.StartNew();
        var failed = await UdpAsync(alone.UdpEndpoint, Q("a.example", DnsRecordType.A));
        Assert.Equal(DnsResponseCode.ServFail, failed.ResponseCode);
        Assert.Equal("a.example", failed.Questions[0].Name);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
        var failedTcp = await TcpAsync(alone.TcpEndpoint, Q("b.example", DnsRecordType.A));
        Assert.Equal(DnsResponseCode.ServFail, failedTcp.ResponseCode);
    }

    [Fact]
    public async Task WithoutRecursorsOutOfZoneIsRefused()
    {
        await using var server = Start(new DnsOptions { Recursors = [new IPEndPoint(IPAddress.Loopback, 53)], EnableForwarding = false });
        var answer = await UdpAsync(server.UdpEndpoint, Q("example.com", DnsRecordType.A));
        Assert.Equal(DnsResponseCode.Refused, answer.ResponseCode);
        Assert.False(answer.RecursionAvailable);
        Assert.Empty(server.Recursors);
    }

    [Fact]
    public async Task ARecursorThatIsThisServerIsDropped()
    {
        var path = Path.GetTempFileName();
        try
        {
            // a resolv.conf naming 127.0.0.1 (port 53) only loops if we listen on 53; we are on a free port
            File.WriteAllText(path, "nameserver 127.0.0.1\n");
            await using var server = Start(new DnsOptions { ResolvConfPath = path });
            Assert.Equal(["127.0.0.1:53"], server.Recursors.Select(r => r.ToString()));

            // a recursor that is this very server would loop: it is dropped. The free port is found before the
            // server binds it, so another test may take it in between: then try another one.
            for (var attempt = 1; ; attempt++)
            {
                int port;
                using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
                {
                    probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    port = ((IPEndPoint)probe.LocalEndPoint!).Port;
                }

                await using var self = new DnsServer(new DnsOptions
                {
                    UdpListen = new IPEndPoint(IPAddress.Loopback, port),
                    Recursors = [new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(IPAddress.Loopback, 53)],
                });
                try
                {
                    self.Start();
                }
                catch (ListenAddressInUseException) when (attempt < 10)
                {
                    continue;
                }
                Assert.Equal(["127.0.0.1:53"], self.Recursors.Select(r => r.ToString()));
                break;
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UpdateSwapsTheSetAndKeepsTheLastGoodOneOnFailure()
    {
        await using var server = Start();
        var before = server.Records;
        var broken = TestCatalog.Build() with { Instances = [null!] };
        Assert.False(server.Update(broken));
        Assert.Equal(1, server.FailedUpdates);
        Assert.Same(before, server.Records);
        Assert.Equal(3, (await UdpAsync(server.UdpEndpoint, Q("web.service.drover", DnsRecordType.A))).Answers.Count);

        var fewer = TestCatalog.Build() with { Instances = TestCatalog.Build().Instances.Where(i => i.Id != "web.0003").ToList() };
        Assert.True(server.Update(fewer));
        Assert.True(server.Records.Serial > before.Serial);
        Assert.Equal(2, (await UdpAsync(server.UdpEndpoint, Q("web.service.drover", DnsRecordType.A))).Answers.Count);
        var soa = (DnsSoaData)(await UdpAsync(server.UdpEndpoint, Q("drover", DnsRecordType.SOA))).Answers[0].Data;
        Assert.Equal(server.Records.Serial, soa.Serial);
    }

    [Fact]
    public async Task FailoverNameMovesAsSoonAsTheCatalogChanges()
    {
        await using var server = Start();
        Assert.Equal(["10.0.0.1"], AddressStrings(await UdpAsync(server.UdpEndpoint, Q("db-vip.service.drover", DnsRecordType.A))));

        var watch = Stopwatch.StartNew();
        server.Update(TestCatalog.Build() with
        {
            Instances = TestCatalog.Build().Instances.Select(i => i.Id == "db.0001" ? i with { Health = HealthStatus.Critical } : i).ToList(),
        });
        Assert.Equal(["10.0.0.2"], AddressStrings(await UdpAsync(server.UdpEndpoint, Q("db-vip.service.drover", DnsRecordType.A))));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), watch.Elapsed.ToString());
        Assert.Equal("slave", server.Records.Failover["db"].Tag);

        server.Update(TestCatalog.Build());
        Assert.Equal(["10.0.0.1"], AddressStrings(await UdpAsync(server.UdpEndpoint, Q("db-vip.service.drover", DnsRecordType.A))));
    }

    [Fact]
    public async Task GarbageNeverStopsTheServer()
    {
        await using var server = Start();
        var random = new Random(7);
        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            udp.Connect(server.UdpEndpoint);
            for (var i = 0; i < 2000; i++)
            {
                var packet = new byte[random.Next(0, 300)];
                random.NextBytes(packet);
                udp.Send(packet);
            }
        }

        // a truncated header over TCP, a huge declared length, then a clean close
        using (var tcp = await ConnectAsync(server.TcpEndpoint))
        {
            await tcp.SendAsync(new byte[] { 0xFF, 0xFF, 1, 2, 3 }, SocketFlags.None);
        }

        using (var tcp = await ConnectAsync(server.TcpEndpoint))
        {
            var junk = new byte[300];
            random.NextBytes(junk);
            junk[2] &= 0x7F; // a query, not a response, so it is answered (FORMERR or the like), not dropped
            await SendFramedAsync(tcp, junk);
            var answer = await ReadFramedAsync(tcp);
            Assert.True(answer.Length >= 12);
        }

        Assert.Equal(3, (await UdpAsync(server.UdpEndpoint, Q("web.service.drover", DnsRecordType.A))).Answers.Count);
        Assert.Equal(3, (await TcpAsync(server.TcpEndpoint, Q("web.service.drover", DnsRecordType.A))).Answers.Count);
    }

    [Fact]
    public async Task IdleTcpConnectionsAreClosedAndTheirNumberIsLimited()
    {
        await using var server = Start(new DnsOptions { Recursors = [], TcpIdleTimeout = TimeSpan.FromMilliseconds(300), MaxTcpConnections = 2 });
        using var idle = await ConnectAsync(server.TcpEndpoint);
        Assert.True(await ClosedByPeerAsync(idle, TimeSpan.FromSeconds(5)));

        using var a = await ConnectAsync(server.TcpEndpoint);
        using var b = await ConnectAsync(server.TcpEndpoint);
        await SendFramedAsync(a, Q("web.service.drover", DnsRecordType.A).ToArray());
        await SendFramedAsync(b, Q("web.service.drover", DnsRecordType.A).ToArray());
        await ReadFramedAsync(a);
        await ReadFramedAsync(b); // both are being served
        using var c = await ConnectAsync(server.TcpEndpoint);
        Assert.True(await ClosedByPeerAsync(c, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task DisposeStopsListening()
    {
        var server = Start();
        var endpoint = server.UdpEndpoint;
        await server.DisposeAsync().AsTask().WaitAsync(DnsTestClient.Timeout);
        Assert.Null(await UdpRawAsync(endpoint, Q("web.service.drover", DnsRecordType.A).ToArray(), TimeSpan.FromMilliseconds(300)));
        await Assert.ThrowsAnyAsync<SocketException>(async () => await ConnectAsync(endpoint));
    }
}
