using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.Server.Tests.Ha;

/// <summary>Three servers in this process on a real 3-member etcd cluster: one leader, writes through any server, abdication.</summary>
public sealed class HaServersTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private EtcdCluster _etcd = null!;
    private InProcessServers _cluster = null!;
    private List<DroverServer> Servers => _cluster.Servers;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        _etcd = await EtcdCluster.StartAsync(3);
        _cluster = await InProcessServers.StartAsync(_etcd.Endpoints, $"/t{Guid.NewGuid():N}/", 3, generateJoinToken: true);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _http.Dispose();
        await _etcd.DisposeAsync();
    }

    private static string HostPort(DroverServer s) => $"{s.Url.Host}:{s.Url.Port}";

    private async Task<string?> LeaderSeenByAsync(DroverServer s)
    {
        var r = await _http.GetAsync(new Uri(s.Url, "/v2/leader"));
        return r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonObject>())!["leader"]!.GetValue<string>() : null;
    }

    /// <summary>Every live server names the same leader, and it is one of them.</summary>
    private async Task<DroverServer> AgreedLeaderAsync(IEnumerable<DroverServer> live)
    {
        var list = live.ToList();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var seen = new List<string?>();
            foreach (var s in list) seen.Add(await LeaderSeenByAsync(s));
            if (seen.Distinct().Count() == 1 && list.FirstOrDefault(s => HostPort(s) == seen[0]) is { } leader)
            {
                output.WriteLine($"leader {seen[0]} agreed by {list.Count} servers after {sw.ElapsedMilliseconds} ms");
                return leader;
            }
            if (sw.Elapsed > Deadline) throw new TimeoutException($"no agreed leader within {Deadline}: {string.Join(", ", seen)}");
            await Task.Delay(100);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task One_leader_writes_through_followers_and_abdication_hands_over()
    {
        var leader = await AgreedLeaderAsync(Servers);
        var follower = Servers.First(s => s != leader);

        // a write through a follower is forwarded and lands; every server reads it from its own store copy
        var created = await _http.PostAsJsonAsync(new Uri(follower.Url, "/v2/apps"), new JsonObject { ["id"] = "/ha/web", ["cmd"] = "sleep 1000", ["instances"] = 0 });
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        Assert.Equal(HostPort(follower), created.Headers.GetValues("X-Drover-Forwarded-By").Single());
        foreach (var s in Servers)
        {
            await Eventually(async () => (await _http.GetAsync(new Uri(s.Url, "/v2/apps/ha/web"))).StatusCode == HttpStatusCode.OK);
        }

        // the launch queue lives in the leader's memory: a follower hands the read to it; ordinary reads stay local
        using (var queue = await _http.GetAsync(new Uri(follower.Url, "/v2/queue")))
        {
            Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
            Assert.Equal(HostPort(follower), queue.Headers.GetValues("X-Drover-Forwarded-By").Single());
        }
        using (var apps = await _http.GetAsync(new Uri(follower.Url, "/v2/apps")))
            Assert.False(apps.Headers.Contains("X-Drover-Forwarded-By"));

        // every server registered itself as a peer; the Consul status endpoints agree with /v2/leader
        var peers = await _http.GetFromJsonAsync<List<string>>(new Uri(follower.Url, "/v1/status/peers"));
        Assert.Equal(Servers.Select(HostPort).Order(), peers!.Order());
        Assert.Equal(HostPort(leader), await _http.GetFromJsonAsync<string>(new Uri(follower.Url, "/v1/status/leader")));

        // one ClusterId for the whole cluster (the first server created it)
        var ids = new HashSet<string>();
        foreach (var s in Servers) ids.Add((await _http.GetFromJsonAsync<JsonObject>(new Uri(s.Url, "/v2/info")))!["frameworkId"]!.GetValue<string>());
        Assert.Single(ids);

        // DELETE /v2/leader through a follower: the leader resigns and another server takes over
        var abdicate = await _http.DeleteAsync(new Uri(follower.Url, "/v2/leader"));
        Assert.Equal(HttpStatusCode.OK, abdicate.StatusCode);
        Assert.Equal("Leadership abdicated", (await abdicate.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
        await Eventually(async () => await LeaderSeenByAsync(follower) is { } l && l != HostPort(leader));
        var second = await AgreedLeaderAsync(Servers);

        // the old leader is stopped (its lease goes with it): the others elect a new one, and writes go on
        var sw = Stopwatch.StartNew();
        await second.StopAsync();
        await second.DisposeAsync();
        Servers.Remove(second);
        var third = await AgreedLeaderAsync(Servers);
        output.WriteLine($"new leader {HostPort(third)} {sw.ElapsedMilliseconds} ms after the old one stopped");
        foreach (var s in Servers)
        {
            // A server that saw the term change a moment ago may still answer 503 "no leader" (clients retry that), and
            // the previous server's write may still hold the app in its deployment (409, as Marathon answers a PUT
            // without force=true then) until the next reconcile pass finishes it; every server must take the write
            // once the election has settled.
            string? refusal = null;
            await Eventually(async () =>
            {
                var scaled = await _http.PutAsJsonAsync(new Uri(s.Url, "/v2/apps/ha/web"), new JsonObject { ["cmd"] = $"sleep {s.Url.Port}" });
                if (scaled.IsSuccessStatusCode) return true;
                refusal = await scaled.Content.ReadAsStringAsync();
                // only "no leader yet" and "locked by the last write's deployment" are retried
                Assert.True(scaled.StatusCode is HttpStatusCode.ServiceUnavailable || (scaled.StatusCode == HttpStatusCode.Conflict && refusal.Contains("deployment", StringComparison.OrdinalIgnoreCase)),
                    $"{(int)scaled.StatusCode}: {refusal}");
                return false;
            });
            output.WriteLine($"write through {HostPort(s)} accepted{(refusal is null ? "" : $" after a 503: {refusal}")}");
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > Deadline) throw new TimeoutException("condition not met within " + Deadline);
            await Task.Delay(100);
        }
    }
}
