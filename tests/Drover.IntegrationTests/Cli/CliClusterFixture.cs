using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests.Cli;

/// <summary>One real server and agent shared by the tests of a class (each test uses its own app ids).</summary>
public sealed class CliClusterFixture : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LocalCluster.StartAsync(agents: 1);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>App definitions the CLI tests deploy.</summary>
public static class CliApps
{
    /// <summary>Never healthy (its TCP check finds nothing listening), never killed for it: its deployment waits until told otherwise.</summary>
    public static string NeverHealthy(string id, int instances = 1) => $$"""
        {"id":"{{id}}","cmd":"exec sleep 600","instances":{{instances}},"cpus":0.05,"mem":16,
         "healthChecks":[{"protocol":"TCP","gracePeriodSeconds":1,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":0}]}
        """;

    public static string Sleeper(string id, int instances = 1, string env = "v1") => $$"""
        {"id":"{{id}}","env":{"VERSION":"{{env}}"},"cmd":"exec sleep 600","instances":{{instances}},"cpus":0.05,"mem":16}
        """;
}
