namespace Drover.Agent.Logs.Shipping;

/// <summary>A connection to the collector. A failed send throws; the sender then disposes the sink and makes a new one after a backoff.</summary>
public interface ILogSink : IAsyncDisposable
{
    /// <summary>Delivers a batch of JSON lines (each ending in a newline).</summary>
    Task SendAsync(IReadOnlyList<byte[]> lines, CancellationToken ct);
}
