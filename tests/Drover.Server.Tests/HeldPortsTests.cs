using Drover.Api.Agents;
using Drover.Api.Client;

namespace Drover.Server.Tests;

/// <summary>Ports another program holds on an agent, as the agent reports them, and what placement makes of them.</summary>
public class HeldPortsTests
{
    [Fact(Timeout = 30000)]
    public async Task Held_ports_from_a_heartbeat_are_shown_and_never_assigned()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a", portBegin: 31000, portEnd: 31003);
        // 99 is outside the agent's ranges: not the server's business, so not kept.
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { HeldPorts = [31001, 31000, 99, 31001] });
        var agents = await t.Client.GetAgentsAsync();
        Assert.Equal([31000, 31001], agents.Agents.Single().Agent.HeldPorts);

        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/h","cmd":"x","instances":3,"cpus":0.1,"mem":16}""");
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count(y => y.Spec.AppId == "/h") == 2);
        Assert.Equal([31002, 31003], a.Tasks.Select(x => x.Spec.Ports[0]).Order());

        // A heartbeat without the list (an older agent) keeps it; an empty list clears it.
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Tasks = ReportsOf(a) });
        Assert.Equal([31000, 31001], (await t.Client.GetAgentsAsync()).Agents.Single().Agent.HeldPorts);
        await t.Client.HeartbeatAsync(agent, new AgentHeartbeat { Tasks = ReportsOf(a), HeldPorts = [] });
        Assert.Empty((await t.Client.GetAgentsAsync()).Agents.Single().Agent.HeldPorts);
        var third = await t.AssignmentsAsync(agent, x => x.Tasks.Count(y => y.Spec.AppId == "/h") == 3);
        Assert.Contains(third.Tasks, x => x.Spec.Ports[0] is 31000 or 31001);
    }

    [Fact(Timeout = 30000)]
    public async Task A_launch_that_found_its_port_held_is_replaced_on_another_port_at_once_without_backoff()
    {
        await using var t = await TestServer.StartAsync();
        var agent = await t.RegisterAgentAsync("host-a", portBegin: 31000, portEnd: 31010);
        // A long backoff: had the failure counted, the replacement would wait an hour.
        await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", """{"id":"/p","cmd":"x","instances":1,"cpus":0.1,"mem":16,"backoffSeconds":3600}""");
        var first = (await t.AssignmentsAsync(agent, x => x.Tasks.Any(y => y.Spec.AppId == "/p"))).Tasks.Single(y => y.Spec.AppId == "/p");
        var port = first.Spec.Ports[0];

        await t.Client.ReportStatusAsync(agent, [new TaskStatusReport
        {
            TaskId = first.Spec.TaskId, AppId = "/p", State = "TASK_FAILED",
            Message = $"port {port} is held by another program", HeldPorts = [port],
        }]);

        var next = await t.AssignmentsAsync(agent, x => x.Tasks.Any(y => y.Spec.AppId == "/p" && y.Spec.TaskId != first.Spec.TaskId), TimeSpan.FromSeconds(15));
        Assert.NotEqual(port, next.Tasks.Single(y => y.Spec.AppId == "/p").Spec.Ports[0]);
        Assert.Equal([port], (await t.Client.GetAgentsAsync()).Agents.Single().Agent.HeldPorts);
        var app = await t.Client.GetAppAsync("/p");
        Assert.Equal($"port {port} is held by another program", app.LastTaskFailure!.Message);
    }

    private static List<TaskStatusReport> ReportsOf(AgentAssignments a) =>
        [.. a.Tasks.Select(x => new TaskStatusReport { TaskId = x.Spec.TaskId, AppId = x.Spec.AppId, State = "TASK_RUNNING" })];
}
