using Drover.Agent.Drivers;
using Drover.Agent.Logs.Shipping;

namespace Drover.Agent;

/// <summary>
/// Log shipping (--log-ship): one loop tails every process task's files, and follows every container's log stream,
/// into a bounded buffer; another sends it to the collector.
/// </summary>
public sealed partial class DroverAgent
{
    /// <summary>How often the task files are looked at for new lines: a line reaches the collector within about this.</summary>
    private static readonly TimeSpan LogShipPollPeriod = TimeSpan.FromMilliseconds(250);

    private readonly LogShipping? _logShipping;

    private sealed record LogShipping(LogShipTarget Target, LogShipBuffer Buffer, LogShipRegistry Registry, LogShipTailer Tailer, LogShipSender Sender, HttpClient? Http);

    /// <summary>Null when the agent ships no logs.</summary>
    private LogShipping? NewLogShipping()
    {
        if (_options.LogShipTarget is not { } target) return null;
        var buffer = new LogShipBuffer(_options.LogShipBuffer, _metrics.LogLinesDropped);
        var registry = LogShipRegistry.Load(Path.Combine(_options.DataDir, LogShipRegistry.FileName), _log);
        var tailer = new LogShipTailer(buffer, _options.Hostname, _time, _log, registry: registry, bytesLost: _metrics.LogBytesLost);
        // one client for every connection the sender makes: its pool keeps the collector's connection alive
        // the files were checked by AgentOptions.Validate at start
        var tls = !target.UsesTls ? null
            : new CollectorTls(_options.LogShipCaFile is { } caFile && CollectorTls.TryLoadCaFile(caFile, out var cas, out _) ? cas : null,
                _options.LogShipCertFile is { } certFile && _options.LogShipKeyFile is { } keyFile
                    && CollectorTls.TryLoadClientCertificate(certFile, keyFile, out var client, out _) ? client : null);
        var http = target.Protocol == LogShipProtocol.Http
            ? new HttpClient(new SocketsHttpHandler
            {
                SslOptions = tls is null ? new() : new()
                {
                    RemoteCertificateValidationCallback = tls.Validate,
                    LocalCertificateSelectionCallback = tls.SelectClientCertificate,
                },
            }) { Timeout = Timeout.InfiniteTimeSpan }
            : null;
        var headers = _options.CollectorHeaders;
        Func<CancellationToken, Task<ILogSink>> connect = http is null
            ? async ct => await TcpLogSink.ConnectAsync(target.Host, target.Port, tls, ct).ConfigureAwait(false)
            : _ => Task.FromResult<ILogSink>(new HttpLogSink(http, target.Uri, headers, tls));
        var sender = new LogShipSender(buffer, connect, _time, _log, target.ToString(), new LogShipSenderOptions(), _metrics.LogLinesShipped, registry);
        return new LogShipping(target, buffer, registry, tailer, sender, http);
    }

    private IEnumerable<Task> LogShipLoops(CancellationToken stop)
    {
        if (_logShipping is not { } shipping) yield break;
        _log.LogShipStarted(shipping.Target.ToString(), shipping.Buffer.Capacity);
        yield return RunLoopAsync("log-ship-tail", ct => LogShipTailLoopAsync(shipping, ct), stop);
        yield return RunLoopAsync("log-ship-send", shipping.Sender.RunAsync, stop);
        yield return RunLoopAsync("log-ship-positions", ct => shipping.Registry.RunAsync(_time, ct), stop);
    }

    private async Task LogShipTailLoopAsync(LogShipping shipping, CancellationToken ct)
    {
        await using var followers = new StreamedLogFollowers(shipping.Buffer, _options.Hostname, _time, _log, ct, shipping.Registry);
        using var timer = new PeriodicTimer(LogShipPollPeriod, _time);
        try
        {
            do
            {
                var runners = Tasks.All().ToList();
                followers.Poll(StreamedSources(runners));
                shipping.Tailer.Poll(ShipSources(runners, followers));
                // after the followers and tailer have taken their positions: tasks were re-adopted before this loop began
                shipping.Registry.RetainTasks(runners.Select(r => r.TaskId).ToHashSet(StringComparer.Ordinal));
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private static IEnumerable<StreamedSource> StreamedSources(List<Tasks.TaskRunner> runners) =>
        runners.Where(r => r.Handle is IStreamedOutput).Select(r => new StreamedSource(r.TaskId, r.Spec.AppId, (IStreamedOutput)r.Handle!, r.IsTerminal));

    private static List<ShipSource> ShipSources(List<Tasks.TaskRunner> runners, StreamedLogFollowers followers)
    {
        var sources = new List<ShipSource>();
        foreach (var runner in runners)
        {
            // a container's output is shipped from Docker's stream; its sandbox files are the archive of the same lines
            if (followers.Ships(runner.TaskId)) continue;
            // read before the files: a task seen ended has written its last byte
            var ended = runner.IsTerminal;
            if (runner.Sandbox is { } sandbox) sources.Add(new ShipSource(runner.TaskId, runner.Spec.AppId, sandbox, ended));
        }
        return sources;
    }

    /// <summary>After the loops ended: the sender may have acknowledged a batch after the save loop's last write.</summary>
    private void DisposeLogShipping()
    {
        _logShipping?.Registry.SaveIfChanged();
        _logShipping?.Http?.Dispose();
    }
}
