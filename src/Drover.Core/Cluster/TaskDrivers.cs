using Drover.Core.Apps;

namespace Drover.Core.Cluster;

/// <summary>
/// The names of the task drivers an agent can have, and which one a task needs. The scheduler places a task
/// only on an agent that advertises its driver; the agent picks the driver by the same rule.
/// </summary>
public static class TaskDrivers
{
    /// <summary>Plain processes under /bin/sh (Mesos' command executor, Nomad's raw_exec).</summary>
    public const string Process = "process";
    /// <summary>Docker containers through the Docker Engine API.</summary>
    public const string Docker = "docker";

    /// <summary>What an agent that does not say (an older agent) is taken to have.</summary>
    public static readonly IReadOnlyList<string> Default = [Process];

    /// <summary>
    /// The driver a task of this container needs: any container with a Docker image runs on Docker (for
    /// container.type MESOS with a docker image, Mesos' own containerizer would run the image; Docker is the
    /// closest Drover has), everything else is a process.
    /// </summary>
    public static string Required(ContainerSpec? container) =>
        container?.Docker is { Image.Length: > 0 } ? Docker : Process;

    /// <summary>The container type as Marathon users write it, for messages: "DOCKER", or "process" for plain commands.</summary>
    public static string Describe(ContainerSpec? container) =>
        container?.Docker is not null ? (container.Type is { Length: > 0 } t ? t.ToUpperInvariant() : "DOCKER") : Process;
}
