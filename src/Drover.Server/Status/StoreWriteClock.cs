using Drover.State;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Status;

/// <summary>
/// When this server last saw the store's index move: its own writes and, on etcd, every other server's (through the
/// store's watch). Before the first one, SQLite's file time (the last write before this server started); etcd's is
/// not known until a write is seen.
/// </summary>
public sealed class StoreWriteClock(IStateStore store, TimeProvider time) : BackgroundService
{
    private long _lastWriteTicks = store is SqliteStateStore sqlite ? FileTime(sqlite.Path) : 0;

    public DateTimeOffset? LastWriteAt => Interlocked.Read(ref _lastWriteTicks) is > 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in store.WatchAsync(store.Current.Index, stoppingToken).ConfigureAwait(false))
                Interlocked.Exchange(ref _lastWriteTicks, time.GetUtcNow().UtcTicks);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private static long FileTime(string path)
    {
        var times = new[] { path, path + "-wal" }.Where(File.Exists).Select(File.GetLastWriteTimeUtc).ToList();
        return times.Count == 0 ? 0 : times.Max().Ticks;
    }
}
