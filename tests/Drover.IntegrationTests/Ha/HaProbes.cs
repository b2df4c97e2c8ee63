using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;

namespace Drover.IntegrationTests.Ha;

/// <summary>What the HA end-to-end tests ask of a set of <c>drover server --etcd</c> processes: who leads, dig (a server's DNS port: DroverProcess.DnsPortAsync).</summary>
internal static class HaProbes
{
    /// <summary>
    /// Starts <paramref name="count"/> <c>drover server --etcd</c> processes one by one (so the first leads), adding each to
    /// <paramref name="servers"/> as it starts, so the caller disposes whatever started even when a later one fails.
    /// </summary>
    public static Task StartServersAsync(EtcdCluster etcd, TempDir dir, List<DroverProcess> servers, int count = 3, params string[] extra) =>
        StartServersAsync(_ => etcd.Endpoints, dir, servers, count, extra);

    /// <summary>As above, server i given <c>--etcd</c> <paramref name="etcdFor"/>(i) (its own proxies, say).</summary>
    public static async Task StartServersAsync(Func<int, string> etcdFor, TempDir dir, List<DroverProcess> servers, int count = 3, params string[] extra)
    {
        for (var i = 0; i < count; i++) servers.Add(await StartServerAsync(etcdFor(i), dir, i, FreePort.Get(), extra));
    }

    /// <summary>Server <paramref name="index"/> on <paramref name="port"/> and its data dir: again after a kill, it is the same server.</summary>
    public static Task<DroverProcess> StartServerAsync(EtcdCluster etcd, TempDir dir, int index, int port, params string[] extra) =>
        StartServerAsync(etcd.Endpoints, dir, index, port, extra);

    public static Task<DroverProcess> StartServerAsync(string etcdEndpoints, TempDir dir, int index, int port, params string[] extra) =>
        DroverProcess.StartServerAsync(dir.Combine($"server-{index}"), port, TimeSpan.FromSeconds(90),
            ["--etcd", etcdEndpoints, "--advertise", $"http://127.0.0.1:{port}", .. extra]);

    /// <summary>An agent joined to every one of <paramref name="servers"/>, on its own port range.</summary>
    public static DroverProcess StartAgent(IReadOnlyList<DroverProcess> servers, string dataDir, string hostname) =>
        DroverProcess.Start(["agent", "--join", string.Join(",", servers.Select(s => s.BaseAddress!.ToString().TrimEnd('/'))),
            "--data-dir", dataDir, "--hostname", hostname, "--listen", "127.0.0.1:0", "--ports", LocalCluster.NextPortRange(),
            "--token", DroverProcess.TestJoinToken, "--docker-socket", "none"], new ProcessOptions { Name = $"agent:{hostname}" });

    public static string HostPort(DroverProcess server) => $"{server.BaseAddress!.Host}:{server.BaseAddress.Port}";

    /// <summary>What one server's /v2/leader names (null: no leader, an error, or no answer).</summary>
    public static async Task<string?> LeaderSeenByAsync(HttpClient http, DroverProcess server)
    {
        try
        {
            var r = await http.GetAsync(new Uri(server.BaseAddress!, "/v2/leader"));
            return r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonObject>())!["leader"]!.GetValue<string>() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>host:port of the leader once every one of <paramref name="servers"/> names the same one of them.</summary>
    public static async Task<string> AgreedLeaderAsync(HttpClient http, IReadOnlyList<DroverProcess> servers, Func<string> diagnostics,
        TimeSpan? timeout = null) =>
        await Eventually.GetAsync(async () =>
        {
            var seen = new HashSet<string?>();
            foreach (var s in servers) seen.Add(await LeaderSeenByAsync(http, s));
            return seen.Count == 1 && seen.Single() is { } l && servers.Any(s => HostPort(s) == l) ? l : null;
        }, timeout ?? TimeSpan.FromSeconds(60), "all servers agree on a live leader", diagnostics);

    /// <summary>dig's +short answer for <paramref name="name"/> (empty when none or no answer).</summary>
    public static async Task<string> DigAsync(int port, string name, string type)
    {
        var r = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", port.ToString(), "+tries=2", "+time=2", "+short", name, type],
            TimeSpan.FromSeconds(20));
        return r.ExitCode == 0 ? r.Stdout.Trim() : "";
    }

    /// <summary>Digs every 200 ms until stopped; counts the queries and notes each one that got no answer.</summary>
    public static async Task<(int Queries, List<string> Failures)> DigUntilStoppedAsync(int port, string name, string type, CancellationToken stop)
    {
        var failures = new List<string>();
        var queries = 0;
        while (!stop.IsCancellationRequested)
        {
            queries++;
            if (await DigAsync(port, name, type) == "") failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} no {type} record for {name}");
            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return (queries, failures);
    }
}
