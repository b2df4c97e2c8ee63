using Drover.Core.Cluster;

namespace Drover.Agent.Tests.Infrastructure;

public static class Specs
{
    public static string NewId(string app = "test") => $"{app}.{Guid.NewGuid():N}";

    public static TaskSpec Cmd(string cmd, string? id = null) => new()
    {
        TaskId = id ?? NewId(),
        AppId = "/test",
        Version = "2024-01-01T00:00:00.000Z",
        Cmd = cmd,
    };

    public static TaskSpec Args(params string[] args) => new()
    {
        TaskId = NewId(),
        AppId = "/test",
        Version = "2024-01-01T00:00:00.000Z",
        Args = args,
    };
}
