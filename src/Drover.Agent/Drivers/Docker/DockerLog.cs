using Microsoft.Extensions.Logging;

namespace Drover.Agent.Drivers.Docker;

/// <summary>The Docker driver's log messages (event ids 4000–4099).</summary>
internal static partial class DockerLog
{
    [LoggerMessage(4000, LogLevel.Information, "Task {TaskId} runs in container {ContainerId} ({Image})")]
    public static partial void ContainerStarted(this ILogger log, string taskId, string containerId, string image);

    [LoggerMessage(4001, LogLevel.Information, "Task {TaskId}: stopping container {ContainerId} (SIGKILL after {GraceSeconds}s)")]
    public static partial void ContainerStopping(this ILogger log, string taskId, string containerId, double graceSeconds);

    [LoggerMessage(4002, LogLevel.Information, "Re-adopted task {TaskId} in running container {ContainerId}")]
    public static partial void ContainerReadopted(this ILogger log, string taskId, string containerId);

    [LoggerMessage(4003, LogLevel.Warning, "Removing container {ContainerId} of task {TaskId}: this agent has no record of launching it")]
    public static partial void OrphanContainerRemoved(this ILogger log, string taskId, string containerId);

    [LoggerMessage(4004, LogLevel.Information, "Task {TaskId}: pulling image {Image} ({Credentials})")]
    public static partial void ImagePulling(this ILogger log, string taskId, string image, string credentials);

    [LoggerMessage(4005, LogLevel.Information, "Task {TaskId}: container {ContainerId} ended: {Description}")]
    public static partial void ContainerEnded(this ILogger log, string taskId, string containerId, string description);

    [LoggerMessage(4006, LogLevel.Warning, "Task {TaskId}: cannot inspect its container: {Error}")]
    public static partial void ContainerInspectFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(4007, LogLevel.Warning, "Task {TaskId}: the container's output could not be archived into the sandbox: {Error}")]
    public static partial void ContainerLogsNotArchived(this ILogger log, string taskId, string error);

    [LoggerMessage(4008, LogLevel.Warning, "Task {TaskId}: the container's logs are unavailable: {Error}")]
    public static partial void ContainerLogsUnavailable(this ILogger log, string taskId, string error);

    [LoggerMessage(4009, LogLevel.Warning, "Cannot remove container {ContainerId}: {Error}")]
    public static partial void ContainerRemoveFailed(this ILogger log, string containerId, string error);

    [LoggerMessage(4010, LogLevel.Warning, "Docker's event stream broke off ({Error}); reconnecting, and checking every container meanwhile")]
    public static partial void DockerEventsFailed(this ILogger log, string error);

    [LoggerMessage(4011, LogLevel.Information, "Docker driver: {Detail}")]
    public static partial void DockerDetected(this ILogger log, string detail);

    [LoggerMessage(4012, LogLevel.Warning, "No docker driver: {Detail}")]
    public static partial void DockerUnavailable(this ILogger log, string detail);

    [LoggerMessage(4013, LogLevel.Information, "Containers resolve names with {Dns}")]
    public static partial void ContainerDnsSet(this ILogger log, string dns);

    [LoggerMessage(4014, LogLevel.Information, "Containers keep Docker's default resolvers: {Why}")]
    public static partial void ContainerDnsDefault(this ILogger log, string why);
}
