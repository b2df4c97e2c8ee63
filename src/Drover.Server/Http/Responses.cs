using System.Text.Json.Serialization.Metadata;
using Drover.Api;
using Drover.Api.Marathon;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

public static class Responses
{
    public static IResult Json<T>(T value, JsonTypeInfo<T> type, int status = 200) =>
        Results.Json(value, type, "application/json", status);

    public static IResult Deployment(HttpContext ctx, string deploymentId, string version, int status = 200)
    {
        ctx.Response.Headers["Marathon-Deployment-Id"] = deploymentId;
        return Json(new DeploymentResult(deploymentId, version), ApiJsonContext.Default.DeploymentResult, status);
    }

    /// <summary>Embed names with Marathon's accepted prefixes stripped (apps., app., group.apps.).</summary>
    public static HashSet<string> Embeds(HttpRequest req)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in req.Multi("embed"))
        {
            var name = e;
            foreach (var prefix in new[] { "group.apps.", "apps.", "app." })
            {
                if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) { name = name[prefix.Length..]; break; }
            }
            set.Add(name);
        }
        return set;
    }
}
