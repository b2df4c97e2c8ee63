using System.Text.Json;
using Drover.Api.Client;
using Drover.Core.Retry;

namespace Drover.Cli.Progress;

/// <summary>
/// Listens to the event stream for the end of deployments (deployment_success / deployment_failed
/// with its reason). Attached before the write that starts the deployment, so a deployment that
/// ends at once is not missed; reconnects when the stream drops.
/// </summary>
public sealed class DeploymentOutcomes : IAsyncDisposable
{
    private readonly DroverClient _client;
    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, (bool Ok, string Reason)> _ended = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<(bool Ok, string Reason)>> _waiting = new(StringComparer.Ordinal);
    private readonly Task _listen;

    private DeploymentOutcomes(DroverClient client, CancellationToken ct)
    {
        _client = client;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _listen = Task.Run(ListenAsync, CancellationToken.None);
    }

    /// <summary>Attaches (waiting up to 5 s for the stream to open; a server without events just means polling).</summary>
    public static async Task<DeploymentOutcomes> AttachAsync(DroverClient client, CancellationToken ct)
    {
        var outcomes = new DeploymentOutcomes(client, ct);
        await Task.WhenAny(outcomes._attached.Task, Task.Delay(TimeSpan.FromSeconds(5), ct));
        return outcomes;
    }

    /// <summary>Completes when deployment <paramref name="id"/> succeeds (true) or fails (false, with the reason).</summary>
    public Task<(bool Ok, string Reason)> For(string id)
    {
        lock (_ended)
        {
            if (_ended.TryGetValue(id, out var done)) return Task.FromResult(done);
            if (!_waiting.TryGetValue(id, out var tcs))
                _waiting[id] = tcs = new TaskCompletionSource<(bool, string)>(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs.Task;
        }
    }

    private async Task ListenAsync()
    {
        var backoff = new Backoff(TimeProvider.System, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), jitter: 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _client.StreamEventsAsync(["deployment_success", "deployment_failed", "event_stream_attached"], _stop.Token))
                {
                    backoff.Reset();
                    if (e.Type == "event_stream_attached") { _attached.TrySetResult(); continue; }
                    var id = Field(e.Data, "id");
                    Ended(id, e.Type == "deployment_success", Field(e.Data, "reason"));
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception ex) when (ex is HttpRequestException or IOException or DroverApiException or OperationCanceledException) { }
            _attached.TrySetResult();
            try { await backoff.WaitAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private void Ended(string id, bool ok, string reason)
    {
        lock (_ended)
        {
            _ended[id] = (ok, reason);
            if (_waiting.Remove(id, out var tcs)) tcs.TrySetResult((ok, reason));
        }
    }

    private static string Field(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText() : "";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _listen; }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
