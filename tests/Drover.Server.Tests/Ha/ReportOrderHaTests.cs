using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State.Tests.Etcd;

namespace Drover.Server.Tests.Ha;

/// <summary>
/// Report order across a real handover on etcd: two servers in this process, the leader abdicates, and the new one,
/// whose memory never saw the agent's reports, orders them by what the old one stored.
/// </summary>
public sealed class ReportOrderHaTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private InProcessServers _cluster = null!;
    private List<DroverServer> Servers => _cluster.Servers;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync() => _cluster = await InProcessServers.StartAsync(etcd.Cluster.Endpoints, SingleEtcd.NewPrefix(), 2);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _http.Dispose();
    }

    private static string HostPort(DroverServer s) => $"{s.Url.Host}:{s.Url.Port}";

    private async Task<DroverServer> AgreedLeaderAsync(Func<string, bool> acceptable)
    {
        DroverServer? leader = null;
        await Until(async () =>
        {
            var seen = new List<string?>();
            foreach (var s in Servers)
            {
                var r = await _http.GetAsync(new Uri(s.Url, "/v2/leader"));
                seen.Add(r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonObject>())!["leader"]!.GetValue<string>() : null);
            }
            leader = seen.Distinct().Count() == 1 && seen[0] is { } l && acceptable(l) ? Servers.FirstOrDefault(s => HostPort(s) == l) : null;
            return leader is not null;
        });
        return leader!;
    }

    private static TaskStatusReport Report(string taskId, string state, long seq) =>
        new() { TaskId = taskId, AppId = "/order", State = state, Run = "run-1", Seq = seq };

    private static TaskRecord? Stored(DroverServer s, string taskId) =>
        ((StateWriter)s.Services.GetService(typeof(StateWriter))!).Current.Get(Schema.Tasks, taskId);

    [Fact(Timeout = 120000)]
    public async Task A_new_leader_does_not_let_an_older_status_report_regress_a_task()
    {
        var old = await AgreedLeaderAsync(_ => true);
        using var toOld = new DroverClient(old.Url);
        var agent = (await toOld.RegisterAgentAsync(new AgentRegistration
        {
            Hostname = "host", Endpoint = "http://127.0.0.1:1",
            Resources = new AgentResources { Cpus = 4, MemMb = 4096, DiskMb = 10000, Ports = [new PortRange(31000, 31100)] },
        })).AgentId;
        var created = await _http.PostAsJsonAsync(new Uri(old.Url, "/v2/apps"),
            new JsonObject { ["id"] = "/order", ["cmd"] = "sleep 100", ["instances"] = 1, ["cpus"] = 0.1, ["mem"] = 16 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        string? task = null;
        await Until(async () => (task = (await toOld.GetAssignmentsAsync(agent, null, TimeSpan.FromSeconds(2))).Tasks.FirstOrDefault()?.Spec.TaskId) is not null);
        await toOld.ReportStatusAsync(agent, [Report(task!, "TASK_RUNNING", 6)]);

        Assert.True((await _http.DeleteAsync(new Uri(old.Url, "/v2/leader"))).IsSuccessStatusCode);
        var next = await AgreedLeaderAsync(l => l != HostPort(old));
        using var toNext = new DroverClient(next.Url);

        // report 4 (the start, sent before report 6) overtaken on the way: the new leader never heard report 6 itself
        await Until(async () => await Succeeds(() => toNext.ReportStatusAsync(agent, [Report(task!, "TASK_STARTING", 4)])));
        Assert.Equal(TaskState.Running, Stored(next, task!)?.State);
        Assert.Equal(6L, Stored(next, task!)?.ReportSeq);

        // the new leader does take newer news
        await toNext.ReportStatusAsync(agent, [Report(task!, "TASK_KILLING", 7)]);
        Assert.Equal(TaskState.Killing, Stored(next, task!)?.State);
    }

    /// <summary>A new leader may answer 503 for a moment after it is named; clients retry that.</summary>
    private static async Task<bool> Succeeds(Func<Task> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (DroverApiException e) when (e.Status == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }
    }

    private static async Task Until(Func<Task<bool>> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > Deadline) throw new TimeoutException("condition not met within " + Deadline);
            await Task.Delay(100);
        }
    }
}
