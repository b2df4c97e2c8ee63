namespace Drover.Server.Discovery;

/// <summary>
/// An error answered the way Consul does: a status and a text/plain message. Thrown by discovery's writes (they follow
/// Consul's rules and messages); Consul.ConsulFilter renders it.
/// </summary>
public sealed class ConsulException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static ConsulException BadRequest(string message) => new(400, message);
    public static ConsulException NotFound(string message) => new(404, message);
}
