using Drover.Core.Retry;
using Drover.Dns;
using Drover.Server.Discovery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.DnsService;

/// <summary>
/// Runs the DNS server inside the server process and feeds it every catalog change. Binding
/// happens at start, so a busy port fails `drover server` at once with a clear error
/// (<see cref="Core.Hosting.ListenAddressInUseException"/>). DroverServer starts it itself, before the web host:
/// a hosted service that fails to start makes the host log the error with its stack trace.
/// </summary>
public sealed class DnsHost(ServerOptions options, CatalogService catalog, ILoggerFactory loggers, TimeProvider time, Metrics.ServerMetrics metrics) : IHostedService, IAsyncDisposable
{
    private DnsServer? _server;
    private CancellationTokenSource? _stop;
    private Task? _feed;

    public DnsServer? Server => _server;

    public static DnsOptions OptionsFrom(ServerOptions o) => new()
    {
        Domain = o.DnsDomain,
        UdpListen = DnsOptions.ParseEndpoint(o.DnsListen!, DnsOptions.DefaultPort),
        Recursors = o.Recursors?.Select(r => DnsOptions.ParseEndpoint(r, 53)).ToList(),
        OnlyPassing = o.DnsOnlyPassing,
    };

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.DnsListen is null) return;
        var dnsOptions = OptionsFrom(options);
        dnsOptions.ThrowIfInvalid();
        var server = new DnsServer(dnsOptions, loggers.CreateLogger<DnsServer>(), time, metrics.Dns);
        try
        {
            server.Start();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        _server = server;
        _server.Update(catalog.Current);
        _stop = new CancellationTokenSource();
        _feed = FeedAsync(_stop.Token);
    }

    private async Task FeedAsync(CancellationToken ct)
    {
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), jitter: 0);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in catalog.WatchAsync(catalog.Current.Index, ct)) _server!.Update(snapshot);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // keep serving the last good record set; retry the watch
                loggers.CreateLogger<DnsHost>().LogError(ex, "DNS catalog feed failed; retrying");
                await backoff.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Idempotent: the host stops it, and the container disposes it afterwards.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stop = Interlocked.Exchange(ref _stop, null);
        if (stop is not null)
        {
            await stop.CancelAsync();
            if (_feed is not null) { try { await _feed; } catch (OperationCanceledException) { } }
            stop.Dispose();
        }
        var server = Interlocked.Exchange(ref _server, null);
        if (server is not null) await server.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);
}
