using Drover.Core.Discovery;

namespace Drover.Health;

/// <summary>Outcome of one probe: its status and what it said (why it did not pass; a Consul check's output).</summary>
public readonly record struct ProbeResult(HealthStatus Status, string Output = "")
{
    public static readonly ProbeResult Passing = new(HealthStatus.Passing);
    public static ProbeResult Critical(string output) => new(HealthStatus.Critical, output);
}
