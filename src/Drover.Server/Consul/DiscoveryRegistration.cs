using Drover.Server.Discovery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Consul;

/// <summary>Wires discovery into the server: the catalog, the Consul-compatible /v1 API, the check runner.</summary>
public static class DiscoveryRegistration
{
    public static IServiceCollection AddDiscovery(this IServiceCollection s)
    {
        s.AddSingleton<DiscoveryOptions>();
        s.AddSingleton<DiscoveryLog>();
        s.AddSingleton<CatalogService>();
        s.AddSingleton<ExternalServices>();
        s.AddSingleton<CheckProbes>();
        s.AddSingleton<ServiceCheckRunner>();
        s.AddSingleton<DiscoveryJanitor>();
        // leader-only: checks and the janitor write their results to the store
        Leadership.LeaderGatedService.AddLeaderOnly<ServiceCheckRunner>(s);
        Leadership.LeaderGatedService.AddLeaderOnly<DiscoveryJanitor>(s);
        s.AddHttpClient(CheckProbes.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 10, PooledConnectionLifetime = TimeSpan.FromMinutes(1) });
        s.AddHttpClient(CheckProbes.InsecureHttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = 10,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true }, // TLSSkipVerify, asked for by the check
            });
        return s;
    }

    public static void MapDiscovery(this IEndpointRouteBuilder r)
    {
        var v1 = r.MapGroup("/v1").AddEndpointFilter(ConsulFilter.InvokeAsync);
        v1.MapConsulCatalog();
        v1.MapConsulAgent();
        v1.MapConsulKv();
        r.MapTaskTagEndpoints();
    }
}
