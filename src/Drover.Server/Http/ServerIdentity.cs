namespace Drover.Server.Http;

/// <summary>This server's address, known once Kestrel has bound.</summary>
public sealed class ServerIdentity
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }
    public string HostPort => $"{Host}:{Port}";
    public string ClusterId { get; set; } = Guid.NewGuid().ToString("D");

    /// <summary>When this server was built (its uptime counts from here, not from the first status request).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>host:port the other servers and clients reach this one by (--advertise, else the bound address).</summary>
    public string AdvertisedHostPort { get; set; } = "127.0.0.1:0";

    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the HTTP listener is bound and the addresses above are final (an election needs them).</summary>
    public Task Bound => _bound.Task;

    public void MarkBound() => _bound.TrySetResult();
}
