using Drover.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Http;

/// <summary>
/// Marks every answer given from a copy of the state that the store cannot currently confirm (etcd without a quorum):
/// <c>X-Drover-Stale: true</c>. Set when the response starts, so error answers (whose headers are cleared on the
/// way) carry it too. Consul's routes also say <c>X-Consul-KnownLeader: false</c> (see ConsulFilter).
/// </summary>
public static class StaleFlag
{
    public const string Header = "X-Drover-Stale";

    public static void UseStaleFlag(this WebApplication app)
    {
        var health = app.Services.GetRequiredService<IStoreHealth>();
        if (health is LocalStoreHealth) return; // never stale: no callback on every request of a single server
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                if (health.IsStale) ctx.Response.Headers[Header] = "true";
                return Task.CompletedTask;
            });
            return next(ctx);
        });
    }
}
