using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Core.Tests;

public class ReadinessModelTests
{
    private static ReadinessCheckResult R(string name, bool ready, int? status = null) => new()
    {
        Name = name, TaskId = "t1", Ready = ready,
        LastResponse = status is int s ? new ReadinessLastResponse { Status = s, ContentType = "text/plain", Body = "b" } : null,
    };

    [Fact]
    public void A_ready_result_stays_ready_whatever_a_later_report_says()
    {
        var stored = new[] { R("a", true, 200) };
        Assert.Equal([R("a", true, 200)], ReadinessResults.Merge(stored, []));
        Assert.Equal([R("a", true, 200)], ReadinessResults.Merge(stored, [R("a", false, 503)]));
        Assert.Equal([R("b", false), R("a", true, 200)], ReadinessResults.Merge(stored, [R("b", false)]));

        // Not-ready results are simply replaced by the report.
        Assert.Empty(ReadinessResults.Merge([R("a", false)], []));
        Assert.Equal([R("a", true, 204)], ReadinessResults.Merge([R("a", false, 503)], [R("a", true, 204)]));
    }

    [Fact]
    public void Results_use_marathons_json_shape()
    {
        var json = JsonSerializer.Serialize(R("readinessCheck", false, 503), CoreJsonContext.Default.Options);
        Assert.Equal("""{"name":"readinessCheck","taskId":"t1","ready":false,"lastResponse":{"status":503,"contentType":"text/plain","body":"b"}}""", json);
        var task = new TaskRecord { Id = "t1", AppId = "/a", AgentId = "x", Host = "h", Version = "v", StagedAt = "s", ReadinessCheckResults = [R("r", true)] };
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(task, CoreJsonContext.Default.TaskRecord), CoreJsonContext.Default.TaskRecord)!;
        Assert.Equal([R("r", true)], back.ReadinessCheckResults);
    }

    [Fact]
    public void Port_names_follow_the_host_ports_of_each_networking_mode()
    {
        var host = new AppDefinition
        {
            Id = "/a",
            PortDefinitions = [new PortDefinition { Port = 0, Name = "http-api" }, new PortDefinition { Port = 0 }],
        };
        Assert.Equal(["http-api", null], AppPorts.HostPortNames(host));

        var bridge = host with
        {
            Container = new ContainerSpec
            {
                Docker = new DockerSpec { Image = "x", Network = "BRIDGE" },
                PortMappings = [new PortMapping { ContainerPort = 80, Name = "web" }, new PortMapping { ContainerPort = 81, HostPort = 31005, Name = "admin" }],
            },
        };
        Assert.Equal(["web", "admin"], AppPorts.HostPortNames(bridge));
        Assert.Equal([0, 31005], AppPorts.HostPorts(bridge).Select(p => p.Requested));

        // USER networks reserve host ports only for mappings that name one.
        var user = bridge with { Container = bridge.Container! with { Docker = new DockerSpec { Image = "x", Network = "USER" } } };
        Assert.Equal(["admin"], AppPorts.HostPortNames(user));
    }
}
