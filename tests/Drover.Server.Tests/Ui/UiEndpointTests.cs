using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Drover.Server.Ui;

namespace Drover.Server.Tests.Ui;

/// <summary>GET /ui: the embedded dashboard files, their content types, ETags and 304s, the single page for any /ui path, and the token gate.</summary>
public sealed class UiEndpointTests
{
    [Fact(Timeout = 30000)]
    public async Task Ui_and_every_path_under_it_answer_the_index_page_with_a_CSP_and_no_inline_script()
    {
        await using var t = await TestServer.StartAsync();
        foreach (var path in new[] { "/ui", "/ui/", "/ui/apps", "/ui/apps/prod/web", "/ui/deployments" })
        {
            using var resp = await t.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal("text/html", resp.Content.Headers.ContentType!.MediaType);
            Assert.Equal(UiEndpoints.ContentSecurityPolicy, resp.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", resp.Headers.GetValues("X-Content-Type-Options").Single());
            var html = await resp.Content.ReadAsStringAsync();
            Assert.Contains("<script type=\"module\" src=\"/ui/assets/main.js\"></script>", html);
            // every script is a file: nothing inline for the CSP to refuse, no handler attributes
            Assert.DoesNotMatch(new Regex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase), html);
            Assert.DoesNotMatch(new Regex(@"\son[a-z]+=", RegexOptions.IgnoreCase), html);
        }
    }

    [Theory(Timeout = 30000)]
    [InlineData("/ui/assets/main.js", "text/javascript")]
    [InlineData("/ui/assets/views/apps.js", "text/javascript")]
    [InlineData("/ui/assets/app.css", "text/css")]
    public async Task Assets_have_their_content_type_a_strong_ETag_and_revalidate_to_a_304(string path, string type)
    {
        await using var t = await TestServer.StartAsync();
        using var first = await t.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(type, first.Content.Headers.ContentType!.MediaType);
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Equal("no-cache", first.Headers.CacheControl!.ToString());
        Assert.NotEmpty(await first.Content.ReadAsByteArrayAsync());

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(etag);
        using var cached = await t.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        Assert.Empty(await cached.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        using var fresh = await t.Http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task A_missing_asset_is_a_404_naming_it_not_the_index_page()
    {
        await using var t = await TestServer.StartAsync();
        using var resp = await t.Http.GetAsync("/ui/assets/nope.js");
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("no dashboard file 'assets/nope.js'", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Every_module_the_page_imports_is_embedded()
    {
        var assets = UiAssets.Embedded;
        var import = new Regex(@"from '(\.{1,2}/[^']+)'");
        foreach (var name in assets.Names.Where(n => n.EndsWith(".js", StringComparison.Ordinal)))
        {
            Assert.True(assets.TryGet(name, out var asset));
            var text = System.Text.Encoding.UTF8.GetString(asset.Content);
            foreach (Match m in import.Matches(text))
            {
                var target = Path.GetFullPath(Path.Combine("/" + Path.GetDirectoryName(name), m.Groups[1].Value)).TrimStart('/');
                Assert.True(assets.TryGet(target, out _), $"{name} imports {m.Groups[1].Value}, which is not embedded ({target})");
            }
            // the page runs under a CSP without 'unsafe-eval' and builds its DOM from text nodes
            Assert.DoesNotContain("eval(", text);
            Assert.DoesNotContain("new Function", text);
            Assert.DoesNotContain("innerHTML", text);
        }
        // the page asks for every module at once (no waterfall of imports): a new module must be listed there too
        var index = System.Text.Encoding.UTF8.GetString(assets.Index.Content);
        foreach (var module in assets.Names.Where(n => n.EndsWith(".js", StringComparison.Ordinal) && n != "assets/main.js"))
            Assert.Contains($"<link rel=\"modulepreload\" href=\"/ui/{module}\">", index);
    }

    [Fact(Timeout = 30000)]
    public async Task With_a_token_for_reads_the_page_itself_stays_open_and_the_pages_calls_get_a_Bearer_challenge()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { ApiToken = "ui-s3cret", ApiTokenForReads = true });
        using var page = await t.Http.GetAsync("/ui/apps");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var asset = await t.Http.GetAsync("/ui/assets/main.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);

        // a plain client still gets Marathon's Basic challenge; the page's own calls a Bearer one (no browser password box)
        using var plain = await t.Http.GetAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
        Assert.Equal("Basic realm=\"Drover\"", plain.Headers.WwwAuthenticate.ToString());
        using var script = new HttpRequestMessage(HttpMethod.Get, "/v2/apps");
        script.Headers.Add("X-Requested-With", "XMLHttpRequest");
        using var refused = await t.Http.SendAsync(script);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer realm=\"Drover\"", refused.Headers.WwwAuthenticate.ToString());
    }
}
