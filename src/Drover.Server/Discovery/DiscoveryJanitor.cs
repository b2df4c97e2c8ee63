using Drover.State;
using Microsoft.Extensions.Hosting;
using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>Removes runtime tag overrides of tasks that no longer exist, so "task-tags" does not grow forever.</summary>
public sealed class DiscoveryJanitor(IStateStore store, StateWriter writer, TimeProvider time, DiscoveryLog log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        object? seenTasks = null, seenTags = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var s in store.WatchAsync(-1, stoppingToken).ConfigureAwait(false))
                {
                    // Collections are replaced only when written: skip snapshots where neither changed.
                    var tasks = s.Entries(Schema.Tasks.Name);
                    var tags = s.Entries(Schema.TaskTags.Name);
                    if (ReferenceEquals(tasks, seenTasks) && ReferenceEquals(tags, seenTags)) continue;
                    (seenTasks, seenTags) = (tasks, tags);
                    if (tags.Keys.All(tasks.ContainsKey)) continue;
                    await writer.UpdateAsync(cur =>
                        cur.Entries(Schema.TaskTags.Name).Keys
                            .Where(k => cur.Entry(Schema.Tasks.Name, k) is null)
                            .Select(k => StateOp.Delete(Schema.TaskTags, k)).ToList(), stoppingToken).ConfigureAwait(false);
                }
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                log.RunnerFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
