using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.Server.Tests;

/// <summary>An app definition is capped at 1 MiB (ZooKeeper's node limit under Marathon), other JSON bodies at 16 MiB: 413 with a message, nothing written.</summary>
public class BodySizeTests
{
    private const int MiB = 1024 * 1024;
    private const string AppLimit = "the limit is 1048576 bytes (1 MiB, as ZooKeeper's node limit under Marathon)";

    private static async Task<string> TooLargeAsync(TestServer t, HttpMethod method, string path, HttpContent content)
    {
        var before = t.StoredFingerprint();
        using var req = new HttpRequestMessage(method, path) { Content = content };
        var resp = await t.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{method} {path}: {(int)resp.StatusCode} {text[..Math.Min(text.Length, 300)]}");
        Assert.StartsWith("application/json", resp.Content.Headers.ContentType?.ToString());
        Assert.Equal(before, t.StoredFingerprint());
        return JsonDocument.Parse(text).RootElement.GetProperty("message").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string BigApp(string? id, int cmdBytes) =>
        (id is null ? "{" : $"{{\"id\":\"{id}\",") + "\"instances\":0,\"cmd\":\"" + new string('c', cmdBytes) + "\"}";

    [Fact(Timeout = 60000)]
    public async Task A20MiBCmdIsRefusedOnEveryAppWrite()
    {
        await using var t = await TestServer.StartAsync();
        var body = BigApp("/big", 20 * MiB);
        Assert.Equal($"App definition is {Encoding.UTF8.GetByteCount(body)} bytes; {AppLimit}", await TooLargeAsync(t, HttpMethod.Post, "/v2/apps", Json(body)));

        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", BigApp("/small", 10))).StatusCode);
        await t.DeploymentsFinishedAsync(); // its deployment's end is a write of its own, which "nothing written" must not see
        var update = BigApp(null, 2 * MiB);
        Assert.Contains("App definition is ", await TooLargeAsync(t, HttpMethod.Put, "/v2/apps/small?force=true", Json(update)));
        Assert.Contains(AppLimit, await TooLargeAsync(t, HttpMethod.Patch, "/v2/apps/small?force=true", Json(update)));
        Assert.Equal(10, (await t.Client.GetAppAsync("/small")).Cmd!.Length);
    }

    [Fact(Timeout = 60000)]
    public async Task ABodyOfUnknownLengthIsCutOffAtTheLimit()
    {
        await using var t = await TestServer.StartAsync();
        // without Content-Length the server cannot know the size: it stops at the limit and says so
        var content = new EndlessContent("{\"id\":\"/x\",\"cmd\":\"", 'c', 8 * MiB);
        Assert.Equal($"App definition is more than 1048576 bytes; {AppLimit}", await TooLargeAsync(t, HttpMethod.Post, "/v2/apps", content));
    }

    [Fact(Timeout = 60000)]
    public async Task BodiesBeyondKestrelsOwnCapGetTheSameClearAnswer()
    {
        // past Kestrel's default cap (30,000,000 bytes) Kestrel closed the connection under the client still sending (broken pipe)
        await using var t = await TestServer.StartAsync();
        var body = BigApp("/huge", 30 * MiB);
        Assert.Equal($"App definition is {body.Length} bytes; {AppLimit}", await TooLargeAsync(t, HttpMethod.Post, "/v2/apps", Json(body)));
    }

    [Fact(Timeout = 60000)]
    public async Task ADeclaredLengthOverTheLimitIsRefusedBeforeTheBodyArrives()
    {
        // one byte of a declared 40,000,000 is sent: the answer comes from Content-Length alone
        await using var t = await TestServer.StartAsync();
        var before = t.StoredFingerprint();
        var (status, body) = await DeclareOnlyAsync(t.Server.Url, "/v2/apps", 40_000_000);
        Assert.Equal(413, status);
        Assert.Equal($"App definition is 40000000 bytes; {AppLimit}", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        (status, body) = await DeclareOnlyAsync(t.Server.Url, "/v2/groups", 40_000_000);
        Assert.Equal(413, status);
        Assert.Equal("Request body is 40000000 bytes; the limit is 16777216 bytes (16 MiB)", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        Assert.Equal(before, t.StoredFingerprint());
    }

    [Fact(Timeout = 60000)]
    public async Task AGroupBodyIsCappedAt16MiB()
    {
        await using var t = await TestServer.StartAsync();
        var group = "{\"id\":\"/g\",\"apps\":[],\"x\":\"" + new string('x', 17 * MiB) + "\"}";
        Assert.Equal($"Request body is {group.Length} bytes; the limit is 16777216 bytes (16 MiB)", await TooLargeAsync(t, HttpMethod.Post, "/v2/groups", Json(group)));
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/v2/apps")).StatusCode); // the server is fine
    }

    [Fact(Timeout = 60000)]
    public async Task EachAppOfAGroupIsHeldToTheAppLimit()
    {
        await using var t = await TestServer.StartAsync();
        var big = BigApp("b", MiB + 10);
        var body = $"{{\"id\":\"/g\",\"apps\":[{BigApp("a", 10)},{big}]}}";
        Assert.Equal($"App definition at /apps(1) is {big.Length} bytes; {AppLimit}", await TooLargeAsync(t, HttpMethod.Post, "/v2/groups", Json(body)));
        Assert.Contains("at /apps(1)", await TooLargeAsync(t, HttpMethod.Put, "/v2/groups/g", Json(body)));

        // a group may be larger than one app: three apps of 700 KiB each
        var three = $"{{\"id\":\"/g\",\"apps\":[{BigApp("a", 700 * 1024)},{BigApp("b", 700 * 1024)},{BigApp("c", 700 * 1024)}]}}";
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/groups", three)).StatusCode);
    }

    [Fact(Timeout = 60000)]
    public async Task AMergedUpdateIsHeldToTheLimitAsStored()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", BigApp("/m", 700 * 1024))).StatusCode);
        // its deployment (0 instances) ends by itself; the refused update must then be the only thing that could write
        await t.DeploymentsFinishedAsync("/m deployed");
        var patch = "{\"env\":{\"BIG\":\"" + new string('e', 700 * 1024) + "\"}}";
        var message = await TooLargeAsync(t, HttpMethod.Patch, "/v2/apps/m?force=true", Json(patch));
        Assert.Matches($@"^App definition of /m is \d+ bytes; {System.Text.RegularExpressions.Regex.Escape(AppLimit)}$", message);
    }

    /// <summary>Sends a POST that declares <paramref name="length"/> bytes but sends only one, and reads the answer.</summary>
    private static async Task<(int Status, string Body)> DeclareOnlyAsync(Uri server, string path, long length)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var request = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var statusLine = await reader.ReadLineAsync() ?? "";
        var contentLength = -1;
        string? line;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) contentLength = int.Parse(line[15..].Trim());
        }
        var body = new StringBuilder();
        if (contentLength >= 0) await ReadExactlyAsync(reader, contentLength, body);
        else // chunked: hex size lines, each chunk followed by CRLF, until a 0 chunk
        {
            while (Convert.ToInt32((await reader.ReadLineAsync() ?? "0").Trim(), 16) is var size and > 0)
            {
                await ReadExactlyAsync(reader, size, body);
                await reader.ReadLineAsync();
            }
        }
        return (int.Parse(statusLine.Split(' ')[1]), body.ToString());
    }

    private static async Task ReadExactlyAsync(StreamReader reader, int count, StringBuilder into)
    {
        var buffer = new char[count];
        var read = 0;
        while (read < count && await reader.ReadAsync(buffer.AsMemory(read)) is var n and > 0) read += n;
        into.Append(buffer, 0, read);
    }

    /// <summary>A body without Content-Length (chunked): a prefix, then one character until <c>total</c> bytes or the server stops reading.</summary>
    private sealed class EndlessContent(string prefix, char fill, long total) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var head = Encoding.UTF8.GetBytes(prefix);
            await stream.WriteAsync(head);
            long written = head.Length;
            var chunk = Encoding.UTF8.GetBytes(new string(fill, 64 * 1024));
            try
            {
                while (written < total)
                {
                    await stream.WriteAsync(chunk);
                    written += chunk.Length;
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // the server stopped reading: that is the point
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
