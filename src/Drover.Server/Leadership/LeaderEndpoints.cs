using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Leadership;

/// <summary>/v2/leader: who leads (Marathon's shape), and DELETE to abdicate.</summary>
public static class LeaderEndpoints
{
    public static void MapLeaderEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/leader", (ILeadership leadership) => leadership.Leader is { } leader
            ? Responses.Json(new Api.Marathon.LeaderResponse(leader), Api.ApiJsonContext.Default.LeaderResponse)
            : throw new ApiException(404, $"There is no leader: {leadership.NoLeaderCause}")); // Marathon: 404 "There is no leader"
        // A write, so a follower forwards it to the leader (LeaderForwarding): whoever answers here leads.
        r.MapDelete("/v2/leader", async (ILeadership leadership, CancellationToken ct) => await leadership.AbdicateAsync(ct)
            ? Responses.Json(new Api.Marathon.MessageResponse { Message = "Leadership abdicated" }, Api.ApiJsonContext.Default.MessageResponse)
            : throw new ApiException(503, $"no leader: this server lost leadership before it could abdicate; try again"));
    }
}
