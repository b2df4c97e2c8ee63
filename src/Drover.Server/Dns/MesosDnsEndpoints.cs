using Drover.Dns;
using Drover.Dns.Records;
using Drover.Dns.MesosDns;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.DnsService;

/// <summary>Mesos-DNS's HTTP API on the server's port: /v1/services/…, /v1/hosts/…, /v1/version, /v1/config.</summary>
public static class MesosDnsEndpoints
{
    public const string Version = "0.9.0-drover";

    public static void MapMesosDnsEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v1/services/{service}", (string service, DnsHost dns) =>
            Results.Json(MesosDnsApi.Services(Records(dns), service), MesosDnsJsonContext.Default.IReadOnlyListMesosDnsServiceRecord));
        r.MapGet("/v1/hosts/{host}", (string host, DnsHost dns) =>
            Results.Json(MesosDnsApi.Hosts(Records(dns), host), MesosDnsJsonContext.Default.IReadOnlyListMesosDnsHostRecord));
        r.MapGet("/v1/hosts/{host}/ports", () => Results.Text("To be implemented...", "text/plain", statusCode: 501));
        r.MapGet("/v1/version", () => Results.Json(MesosDnsApi.Version(Version), MesosDnsJsonContext.Default.MesosDnsVersion));
        r.MapGet("/v1/config", (DnsHost dns, ServerOptions options, ServerIdentity id) =>
            Results.Json(MesosDnsApi.Config(DnsHost.OptionsFrom(options), dns.Server?.Records, dns.Server?.Recursors, id.Port), MesosDnsJsonContext.Default.MesosDnsConfig));
    }

    private static DnsRecordSet Records(DnsHost dns) =>
        dns.Server?.Records ?? throw new ApiException(503, "the DNS server is off (start the server with --dns-listen)");
}
