using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Dns.Wire;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/failover: a MySQL-style master/slave pair registered through the Consul agent API with TTL
// checks and DROVER_FAILOVER=master,slave. Each round fails the master's check and measures how long
// until mysql-vip.service.drover answers the slave over DNS, then passes it and measures the way back.
// Target: < 2 s.
var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 20;
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DnsListen = "127.0.0.1:0" },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
var dns = server.DnsEndpoint!;
using var http = new HttpClient { BaseAddress = server.Url };
async Task Put(string path, string? body = null)
{
    var resp = await http.PutAsync(path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));
    if (!resp.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
}
foreach (var (sid, ip, tag) in new[] { ("mysql-1", "127.0.0.2", "master"), ("mysql-2", "127.0.0.3", "slave") })
    await Put("/v1/agent/service/register", $$$"""{"Name":"mysql","ID":"{{{sid}}}","Address":"{{{ip}}}","Port":3306,"Tags":["{{{tag}}}"],"Meta":{"DROVER_FAILOVER":"master,slave"},"Check":{"TTL":"600s","Status":"passing"} }""");

using var udp = new UdpClient(AddressFamily.InterNetwork);
ushort id = 1;
async Task<string> Vip()
{
    var q = DnsMessage.Query("mysql-vip.service.drover", DnsRecordType.A, id++);
    await udp.SendAsync(q.ToArray(), dns);
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
    var res = await udp.ReceiveAsync(cts.Token);
    var msg = DnsMessage.Parse(res.Buffer);
    return string.Join(",", msg.Answers.Select(a => a.Data is DnsAddressData d ? d.Address.ToString() : "?"));
}
async Task<double> Until(string want)
{
    var sw = Stopwatch.StartNew();
    while (await Vip() != want)
    {
        if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"vip never answered {want}");
    }
    return sw.Elapsed.TotalMilliseconds;
}
await Until("127.0.0.2");
var down = new List<double>();
var back = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var sw = Stopwatch.StartNew();
    await Put("/v1/agent/check/fail/service:mysql-1");
    await Until("127.0.0.3");
    down.Add(sw.Elapsed.TotalMilliseconds);
    sw.Restart();
    await Put("/v1/agent/check/pass/service:mysql-1");
    await Until("127.0.0.2");
    back.Add(sw.Elapsed.TotalMilliseconds);
}
down.Sort();
back.Sort();
Console.WriteLine($"bench/failover: {rounds} rounds, master check failed → mysql-vip.service.drover answers the slave (DNS over UDP)");
Console.WriteLine($"  failover: median {down[down.Count / 2]:0.0} ms, max {down[^1]:0.0} ms   (target < 2000 ms)");
Console.WriteLine($"  failback: median {back[back.Count / 2]:0.0} ms, max {back[^1]:0.0} ms");
Console.WriteLine($"  target < 2 s: {(down[^1] < 2000 ? "MET" : "NOT MET")}");
await server.StopAsync();
