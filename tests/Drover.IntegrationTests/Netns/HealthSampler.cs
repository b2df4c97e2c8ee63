using System.Threading.Channels;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// Records the lowest healthy count of some apps while something (a drain, a deployment) moves their tasks. It reads
/// them again after every task state or health change the event stream reports (and at least every
/// <see cref="Idle"/>), so it keeps pace with the changes however slow the machine is. It does not poll at a fixed rate
/// and then expect a fixed number of reads: on a loaded 2-core CI machine that collected "only 10 samples" when the
/// drain was quick and each read slow. Each read is one GET /v2/apps, so every app's count comes from the same snapshot.
/// </summary>
internal sealed class HealthSampler : IAsyncDisposable
{
    /// <summary>The longest the sampler waits for a change before it reads anyway.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(250);

    private static readonly string[] ChangeTypes = ["event_stream_attached", "status_update_event", "health_status_changed_event"];

    private readonly DroverClient _client;
    private readonly HashSet<string> _apps;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, int> _lowest;
    private Task _listening = Task.CompletedTask;
    private Task _sampling = Task.CompletedTask;
    private long _changes;
    private long _covered;
    private int _samples;

    private HealthSampler(DroverClient client, IEnumerable<string> apps)
    {
        _client = client;
        _apps = [.. apps];
        _lowest = _apps.ToDictionary(a => a, _ => int.MaxValue);
    }

    /// <summary>The lowest healthy count read for each app (read once <see cref="StopAsync"/> returned).</summary>
    public IReadOnlyDictionary<string, int> Lowest => _lowest;

    /// <summary>Subscribes to the event stream and takes the first reading; returns once both happened, so nothing after it goes unseen.</summary>
    public static async Task<HealthSampler> StartAsync(DroverClient client, IEnumerable<string> apps)
    {
        var s = new HealthSampler(client, apps);
        s._listening = s.ListenAsync();
        await Task.WhenAny(s._attached.Task, s._listening).WaitAsync(TimeSpan.FromSeconds(60));
        if (!s._attached.Task.IsCompleted) await s._listening; // it failed: say why
        await s.SampleAsync();
        s._sampling = s.SampleLoopAsync();
        return s;
    }

    /// <summary>
    /// Waits (generously) until a reading began after the last change the stream reported, then stops; returns the
    /// readings taken and the changes reported. Fails if the stream or a reading failed.
    /// </summary>
    public async Task<(int Samples, long Changes)> StopAsync()
    {
        await Eventually.AsyncAssert(() => Task.FromResult(Interlocked.Read(ref _covered) == Interlocked.Read(ref _changes) || _sampling.IsCompleted),
            TimeSpan.FromSeconds(60), "a reading after the last reported change");
        if (_listening.IsCompleted) await _listening; // a stream that ended early (or failed) would have left changes unseen
        var changes = Interlocked.Read(ref _covered);
        await _stop.CancelAsync();
        await _sampling;
        await _listening;
        return (_samples, changes);
    }

    private async Task ListenAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (var e in _client.StreamEventsAsync(ChangeTypes, _stop.Token))
            {
                if (e.Type == "event_stream_attached") { _attached.TrySetResult(); continue; }
                Interlocked.Increment(ref _changes);
                _changed.Writer.TryWrite(true);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { return; } // stopped: the read was cancelled
        if (!_stop.IsCancellationRequested) throw new InvalidOperationException("the event stream ended while sampling");
    }

    private async Task SampleLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                idle.CancelAfter(Idle);
                try { await _changed.Reader.ReadAsync(idle.Token); }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested) { }
                catch (OperationCanceledException) { return; }
            }
            await SampleAsync();
        }
    }

    private async Task SampleAsync()
    {
        var changes = Interlocked.Read(ref _changes); // the reading below starts after these changes: it covers them
        foreach (var app in await _client.ListAppsAsync())
            if (_apps.Contains(app.Id)) _lowest[app.Id] = Math.Min(_lowest[app.Id], app.TasksHealthy);
        _samples++;
        Interlocked.Exchange(ref _covered, changes);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await Task.WhenAll(_listening, _sampling); }
        catch (Exception) { } // already reported by StopAsync, or the test failed before it
        _stop.Dispose();
    }
}
