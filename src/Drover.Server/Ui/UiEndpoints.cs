using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Ui;

/// <summary>
/// GET /ui: the dashboard. Files under /ui/assets/ are served by name; any other path under /ui is the single page's
/// index.html, which routes on the path in the browser (so /ui/apps/prod/web can be bookmarked and reloaded).
/// </summary>
/// <remarks>
/// Every answer carries a strong ETag and <c>Cache-Control: no-cache</c>: the browser keeps its copy and revalidates
/// it with one conditional request (304 when unchanged), so an upgraded server never serves a stale script. The page
/// gets a Content-Security-Policy allowing only same-origin scripts, styles and connections (no inline script, no
/// eval) as a second line of defence behind the UI's escaping of every value it shows.
/// </remarks>
public static class UiEndpoints
{
    public const string Path = "/ui";
    private const string AssetsPrefix = "assets/";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapUiEndpoints(this IEndpointRouteBuilder r, UiAssets? assets = null)
    {
        assets ??= UiAssets.Embedded;
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        r.MapMethods(Path, methods, (HttpContext ctx) => Serve(ctx, assets.Index));
        r.MapMethods(Path + "/{**path}", methods, (HttpContext ctx, string? path) =>
        {
            path ??= "";
            if (!path.StartsWith(AssetsPrefix, StringComparison.Ordinal)) return Serve(ctx, assets.Index);
            return assets.TryGet(path, out var asset)
                ? Serve(ctx, asset)
                : Results.Text($"no dashboard file '{path}'", "text/plain; charset=utf-8", statusCode: 404);
        });
    }

    private static IResult Serve(HttpContext ctx, UiAsset asset)
    {
        var headers = ctx.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (asset.Name == UiAssets.IndexName)
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
        }
        if (IfNoneMatch(ctx.Request, asset.ETag)) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static bool IfNoneMatch(HttpRequest request, string etag)
    {
        foreach (var value in request.Headers.IfNoneMatch)
        {
            if (value is null) continue;
            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries))
                if (tag == "*" || tag == etag || tag == "W/" + etag) return true;
        }
        return false;
    }
}
