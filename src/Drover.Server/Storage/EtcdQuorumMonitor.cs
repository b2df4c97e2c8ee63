using Drover.State.Etcd.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Storage;

/// <summary>
/// Asks the etcd members, once a second, whether one of them has a leader (a quorum). Two misses in a row make the
/// store stale (one slow answer on a loaded machine does not), and the first good answer makes it fresh again. The
/// question is etcd's maintenance status, a few hundred bytes; a member that lost its quorum says "no leader" there.
/// </summary>
public sealed partial class EtcdQuorumMonitor(EtcdClient client, TimeProvider time, ILogger<EtcdQuorumMonitor> log) : BackgroundService, IStoreHealth
{
    private const int MissesBeforeStale = 2;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private volatile string? _cause;
    private long _lastContactTicks = time.GetUtcNow().UtcTicks;
    private int _misses;

    public bool IsStale => _cause is not null;

    public string? StaleCause => _cause;

    public DateTimeOffset LastContact => new(Interlocked.Read(ref _lastContactTicks), TimeSpan.Zero);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string? noQuorum;
            try
            {
                noQuorum = await client.NoLeaderAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            Observe(noQuorum);
            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One answer: null = a member has a leader; otherwise why none has.</summary>
    public void Observe(string? noQuorum)
    {
        if (noQuorum is null)
        {
            Interlocked.Exchange(ref _lastContactTicks, time.GetUtcNow().UtcTicks);
            _misses = 0;
            if (_cause is not null)
            {
                _cause = null;
                QuorumBack(log);
            }
            return;
        }
        if (++_misses < MissesBeforeStale) return;
        if (_cause is null) QuorumLost(log, noQuorum);
        _cause = noQuorum;
    }

    [LoggerMessage(9100, LogLevel.Error, "The state store has lost its quorum: {Cause}. Writes are refused (503) until it returns; reads, DNS and events serve the last state, flagged stale; running tasks are left alone")]
    private static partial void QuorumLost(ILogger log, string cause);

    [LoggerMessage(9101, LogLevel.Warning, "The state store has its quorum back: writes are accepted again")]
    private static partial void QuorumBack(ILogger log);
}
