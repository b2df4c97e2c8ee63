using Drover.Core.Retry;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// Takes batches from the <see cref="LogShipBuffer"/> and delivers them through a sink, reconnecting with capped
/// exponential backoff (0.5 s doubling to 30 s, on the agent's clock) while the collector is down. A batch that failed
/// is sent again on the next connection, so a line may arrive twice but is not lost to a reconnect (at-least-once,
/// as Fluent Bit and Vector retry). Once the collector has taken a batch (TCP/TLS: written and flushed; HTTP: a 2xx)
/// the batch's positions are acknowledged to the <see cref="LogShipRegistry"/>, never before. A collector that accepts but stops reading makes a send hang: after
/// <see cref="LogShipSenderOptions.SendTimeout"/> the connection is dropped and made again, while the buffer
/// fills and drops.
/// </summary>
public sealed class LogShipSender(
    LogShipBuffer buffer,
    Func<CancellationToken, Task<ILogSink>> connect,
    TimeProvider time,
    ILogger log,
    string target,
    LogShipSenderOptions options,
    Action<int>? onShipped = null,
    LogShipRegistry? registry = null)
{
    private readonly Backoff _backoff = new(time, options.InitialBackoff, options.MaxBackoff, options.Jitter);

    /// <summary>Lines delivered so far.</summary>
    public long Shipped => Interlocked.Read(ref _shipped);
    private long _shipped;

    /// <summary>Connection attempts so far (each failed send or connect leads to one more after a backoff).</summary>
    public int Connects => Volatile.Read(ref _connects);
    private int _connects;

    public async Task RunAsync(CancellationToken ct)
    {
        ILogSink? sink = null;
        List<BufferedLine>? batch = null;
        List<byte[]>? lines = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    batch ??= await buffer.TakeAsync(options.MaxBatchLines, options.MaxBatchBytes, ct).ConfigureAwait(false);
                    lines ??= [.. batch.Select(l => l.Json)];
                    using var timeout = new CancellationTokenSource(options.SendTimeout, time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                    if (sink is null)
                    {
                        Interlocked.Increment(ref _connects);
                        sink = await connect(linked.Token).ConfigureAwait(false);
                    }
                    await sink.SendAsync(lines, linked.Token).ConfigureAwait(false);
                    registry?.Acknowledge(batch.Where(l => l.Position is not null).Select(l => l.Position!.Value));
                    Interlocked.Add(ref _shipped, batch.Count);
                    onShipped?.Invoke(batch.Count);
                    batch = null;
                    lines = null;
                    if (_backoff.Failing) log.LogShipRecovered(target);
                    _backoff.Reset();
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    if (sink is not null) await DisposeQuietlyAsync(sink).ConfigureAwait(false);
                    sink = null;
                    var failing = _backoff.Failing;
                    var delay = _backoff.Next();
                    // once per failure streak: a collector down for an hour must not flood the agent's own log
                    if (!failing) log.LogShipFailed(target, e is OperationCanceledException ? $"no progress for {options.SendTimeout}" : e.Message, delay);
                    await _backoff.DelayAsync(delay, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            if (sink is not null) await DisposeQuietlyAsync(sink).ConfigureAwait(false);
        }
    }

    private static async Task DisposeQuietlyAsync(ILogSink sink)
    {
        try
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException) { }
    }
}

/// <summary>Tuning of <see cref="LogShipSender"/>; the defaults suit a collector on the network.</summary>
public sealed record LogShipSenderOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>±20% by default, so agents do not all reconnect in step when a collector comes back.</summary>
    public double Jitter { get; init; } = 0.2;
    /// <summary>How long one connect or send may take before the connection is given up and made again.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxBatchLines { get; init; } = 1000;
    public int MaxBatchBytes { get; init; } = 1024 * 1024;
}
