using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Leadership;

/// <summary>
/// Runs a leader-only hosted service (reconcile loop, check runner, janitors) exactly while this server leads: started
/// when a term begins, stopped (cancelled and awaited) when it ends, started again on the next term. One gate for all
/// of them instead of leadership checks inside each, as Nomad's leader starts and stops its leader-only loops in
/// establishLeadership/revokeLeadership.
/// </summary>
public sealed class LeaderGatedService(ILeadership leadership, IHostedService inner, LeadershipLog log) : BackgroundService
{
    public IHostedService Inner => inner;

    public static LeaderGatedService For<T>(IServiceProvider sp) where T : IHostedService =>
        new(sp.GetRequiredService<ILeadership>(), sp.GetRequiredService<T>(), sp.GetRequiredService<LeadershipLog>());

    /// <summary>
    /// Registers <typeparamref name="T"/> (already registered as a singleton) to run only while this server leads.
    /// Not AddHostedService: that de-duplicates by the factory's return type, so a second and third gate — all of
    /// them LeaderGatedService — were silently dropped and their services never ran.
    /// </summary>
    public static IServiceCollection AddLeaderOnly<T>(IServiceCollection services) where T : IHostedService =>
        services.AddSingleton<IHostedService>(sp => For<T>(sp));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var name = inner.GetType().Name;
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await leadership.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await inner.StartAsync(CancellationToken.None).ConfigureAwait(false);
            log.GatedStarted(name);
            try
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term);
                await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the term ended, or the server is stopping
            }
            await inner.StopAsync(CancellationToken.None).ConfigureAwait(false);
            log.GatedStopped(name);
            if (!term.CanBeCanceled) return; // a lone server's term never ends: it stopped because the server did
        }
    }
}
