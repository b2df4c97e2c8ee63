using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>/v1/kv: Consul's KV semantics as python-consul and consul-template use them.</summary>
public class ConsulKvTests
{
    private static async Task<(HttpStatusCode Status, string Body, long Index)> GetAsync(ConsulServer c, string path)
    {
        using var resp = await c.Http.GetAsync(path);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync(), ConsulServer.Index(resp));
    }

    private static async Task<string> PutAsync(ConsulServer c, string path, string body)
    {
        using var resp = await c.PutAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.StartsWith("application/json", resp.Content.Headers.ContentType!.ToString());
        return await resp.Content.ReadAsStringAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Put_get_flags_raw_and_404_with_headers()
    {
        await using var c = await ConsulServer.StartAsync();
        var missing = await c.Http.GetAsync("/v1/kv/app/config");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True(ConsulServer.Index(missing) >= 1);
        Assert.Equal("true", missing.Headers.GetValues("X-Consul-KnownLeader").Single());
        Assert.Equal("", await missing.Content.ReadAsStringAsync());

        Assert.Equal("true", await PutAsync(c, "/v1/kv/app/config?flags=42", "hello world"));
        var (status, body, index) = await GetAsync(c, "/v1/kv/app/config");
        Assert.Equal(HttpStatusCode.OK, status);
        var arr = JsonDocument.Parse(body).RootElement;
        Assert.Equal(1, arr.GetArrayLength()); // a single key is an array of one
        var e = arr[0];
        Assert.Equal("app/config", e.GetProperty("Key").GetString());
        Assert.Equal(42UL, e.GetProperty("Flags").GetUInt64());
        Assert.Equal("hello world", Encoding.UTF8.GetString(Convert.FromBase64String(e.GetProperty("Value").GetString()!)));
        Assert.Equal(0, e.GetProperty("LockIndex").GetInt64());
        Assert.False(e.TryGetProperty("Session", out _));
        Assert.Equal(e.GetProperty("ModifyIndex").GetInt64(), index);

        using var raw = await c.Http.GetAsync("/v1/kv/app/config?raw");
        Assert.Equal("hello world", await raw.Content.ReadAsStringAsync());
        Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());

        Assert.Equal("true", await PutAsync(c, "/v1/kv/empty", ""));
        var empty = JsonDocument.Parse((await GetAsync(c, "/v1/kv/empty")).Body).RootElement[0];
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("Value").ValueKind);

        // an encoded key path is decoded (python quotes spaces)
        Assert.Equal("true", await PutAsync(c, "/v1/kv/a%20b%2Fc", "x"));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(c, "/v1/kv/a b/c")).Status);
    }

    [Fact(Timeout = 30000)]
    public async Task Cas_creates_only_once_and_updates_only_at_the_current_index()
    {
        await using var c = await ConsulServer.StartAsync();
        Assert.Equal("true", await PutAsync(c, "/v1/kv/lock?cas=0", "a"));
        Assert.Equal("false", await PutAsync(c, "/v1/kv/lock?cas=0", "b")); // exists already
        var idx = JsonDocument.Parse((await GetAsync(c, "/v1/kv/lock")).Body).RootElement[0].GetProperty("ModifyIndex").GetInt64();
        Assert.Equal("false", await PutAsync(c, $"/v1/kv/lock?cas={idx + 100}", "c"));
        Assert.Equal("true", await PutAsync(c, $"/v1/kv/lock?cas={idx}", "d"));
        Assert.Equal("false", await PutAsync(c, $"/v1/kv/lock?cas={idx}", "e")); // index moved on
        using var raw = await c.Http.GetAsync("/v1/kv/lock?raw");
        Assert.Equal("d", await raw.Content.ReadAsStringAsync());

        var idx2 = JsonDocument.Parse((await GetAsync(c, "/v1/kv/lock")).Body).RootElement[0].GetProperty("ModifyIndex").GetInt64();
        using (var wrong = await c.Http.DeleteAsync($"/v1/kv/lock?cas={idx2 - 1}")) Assert.Equal("false", await wrong.Content.ReadAsStringAsync());
        using (var right = await c.Http.DeleteAsync($"/v1/kv/lock?cas={idx2}")) Assert.Equal("true", await right.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(c, "/v1/kv/lock")).Status);
    }

    [Fact(Timeout = 30000)]
    public async Task Recurse_keys_separator_and_recursive_delete()
    {
        await using var c = await ConsulServer.StartAsync();
        foreach (var k in new[] { "web/foo", "web/bar", "web/sub/a", "web/sub/b", "webby", "other/x" }) await PutAsync(c, "/v1/kv/" + k, k);

        var rec = JsonDocument.Parse((await GetAsync(c, "/v1/kv/web/?recurse")).Body).RootElement;
        Assert.Equal(["web/bar", "web/foo", "web/sub/a", "web/sub/b"], rec.EnumerateArray().Select(e => e.GetProperty("Key").GetString()!).ToArray());
        var (_, keysBody, keysIndex) = await GetAsync(c, "/v1/kv/web/?keys&separator=/");
        Assert.Equal(["web/bar", "web/foo", "web/sub/"], JsonSerializer.Deserialize<string[]>(keysBody)!);
        Assert.Equal(rec.EnumerateArray().Max(e => e.GetProperty("ModifyIndex").GetInt64()), keysIndex);
        var all = JsonSerializer.Deserialize<string[]>((await GetAsync(c, "/v1/kv/?keys")).Body)!;
        Assert.Equal(6, all.Length);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(c, "/v1/kv/nothing/?recurse")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(c, "/v1/kv/nothing/?keys")).Status);

        using (var del = await c.Http.DeleteAsync("/v1/kv/web/?recurse")) Assert.Equal("true", await del.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(c, "/v1/kv/web/?recurse")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(c, "/v1/kv/webby")).Status); // a sibling outside the prefix stays
        using (var del = await c.Http.DeleteAsync("/v1/kv/webby")) Assert.Equal("true", await del.Content.ReadAsStringAsync());
        using (var none = await c.Http.DeleteAsync("/v1/kv/never-was")) Assert.Equal("true", await none.Content.ReadAsStringAsync());
        Assert.Equal(["other/x"], JsonSerializer.Deserialize<string[]>((await GetAsync(c, "/v1/kv/?keys")).Body)!);
        using (var del = await c.Http.DeleteAsync("/v1/kv/?recurse")) Assert.Equal("true", await del.Content.ReadAsStringAsync());
        Assert.Equal("[]", (await GetAsync(c, "/v1/kv/?keys")).Body); // the empty root lists as []
    }

    [Fact(Timeout = 30000)]
    public async Task Blocking_get_wakes_on_a_change_of_its_key_and_on_delete_and_times_out_otherwise()
    {
        await using var c = await ConsulServer.StartAsync();
        await PutAsync(c, "/v1/kv/cfg/a", "1");
        var (_, _, index) = await GetAsync(c, "/v1/kv/cfg/?recurse");

        var sw = Stopwatch.StartNew();
        var timedOut = await GetAsync(c, $"/v1/kv/cfg/?recurse&index={index}&wait=300ms");
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(280), $"returned after {sw.Elapsed}");
        Assert.Equal(index, timedOut.Index);

        var blocked = GetAsync(c, $"/v1/kv/cfg/?recurse&index={index}&wait=30s");
        await PutAsync(c, "/v1/kv/cfg/b", "2");
        var woke = await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(woke.Index > index);
        Assert.Equal(2, JsonDocument.Parse(woke.Body).RootElement.GetArrayLength());

        var deleted = GetAsync(c, $"/v1/kv/cfg/b?index={woke.Index}&wait=30s");
        using (var del = await c.Http.DeleteAsync("/v1/kv/cfg/b")) Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        var gone = await deleted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.True(gone.Index > woke.Index); // never backwards, even though the newest key is gone
    }

    [Theory(Timeout = 30000)]
    [InlineData("PUT", "/v1/kv/", "Missing key name")]
    [InlineData("PUT", "/v1/kv/x?flags=abc", "Invalid flags")]
    [InlineData("PUT", "/v1/kv/x?cas=-1", "Invalid cas")]
    [InlineData("PUT", "/v1/kv/x?cas=1&acquire=s", "Conflicting flags")]
    [InlineData("PUT", "/v1/kv/x?acquire=s", "Sessions are not supported")]
    [InlineData("DELETE", "/v1/kv/x?recurse&cas=1", "Conflicting flags")]
    [InlineData("GET", "/v1/kv/x?index=abc", "Invalid index")]
    [InlineData("GET", "/v1/kv/x?index=5&wait=forever", "Invalid wait")]
    public async Task Bad_requests_are_400_text(string method, string path, string message)
    {
        await using var c = await ConsulServer.StartAsync();
        using var resp = await c.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("v") });
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.StartsWith("text/plain", resp.Content.Headers.ContentType!.ToString());
        Assert.Contains(message, await resp.Content.ReadAsStringAsync());
        Assert.True(ConsulServer.Index(resp) >= 1);
    }

    [Fact(Timeout = 30000)]
    public async Task Values_over_512_KiB_are_refused()
    {
        await using var c = await ConsulServer.StartAsync();
        using var resp = await c.PutAsync("/v1/kv/big", new string('x', 512 * 1024 + 1));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, resp.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await c.Http.GetAsync("/v1/kv/big")).StatusCode);
    }
}
