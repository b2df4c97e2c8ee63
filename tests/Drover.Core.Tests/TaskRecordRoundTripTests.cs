using System.Text.Json;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Core.Tests;

/// <summary>
/// The store hands out the very TaskRecord a server wrote (the tasks collection keeps written values) while the other
/// servers decode its JSON: that is only sound while a record's JSON carries everything it holds.
/// </summary>
public class TaskRecordRoundTripTests
{
    private static readonly TaskRecord Full = new()
    {
        Id = "web.1", AppId = "/web", AgentId = "a1", Host = "h1", State = TaskState.Running, Version = "2026-01-01T00:00:00.000Z",
        StagedAt = "2026-01-01T00:00:01.000Z", StartedAt = "2026-01-01T00:00:02.000Z", Ports = [31000, 31001],
        Cpus = 0.1 + 0.2, MemMb = 1.0 / 3, DiskMb = 1e-7, KillRequested = true, Draining = true, DrainStartedAt = "2026-01-01T00:00:03.000Z",
        HealthCheckResults = [new HealthCheckResult { Alive = true, ConsecutiveFailures = 2, FirstSuccess = "a", LastFailure = "b", LastSuccess = "c", LastFailureCause = "d \"q\" \u00e9", TaskId = "web.1", Status = "passing" }],
        ReadinessCheckResults = [new ReadinessCheckResult { Name = "r", TaskId = "web.1", Ready = true, LastResponse = new ReadinessLastResponse { Status = 200, ContentType = "text/plain", Body = "ok\n" } }],
        Message = "m", WasUnreachable = true, ReportRun = "run-1", ReportSeq = 42,
    };

    [Fact]
    public void Every_property_of_a_task_record_survives_its_json()
    {
        var decoded = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(Full, CoreJsonContext.Default.TaskRecord), CoreJsonContext.Default.TaskRecord)!;
        foreach (var p in typeof(TaskRecord).GetProperties().Where(p => p.CanRead && p.CanWrite))
        {
            var original = p.GetValue(Full);
            // the fixture sets every property, so a property added later without being carried by the JSON fails here
            Assert.False(original is null || Equals(original, p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null), $"set {p.Name} in the fixture");
            Assert.Equal(JsonSerializer.Serialize(original, p.PropertyType, CoreJsonContext.Default.Options),
                JsonSerializer.Serialize(p.GetValue(decoded), p.PropertyType, CoreJsonContext.Default.Options));
        }
    }
}
