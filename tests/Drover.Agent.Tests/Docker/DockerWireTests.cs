using System.Text;
using Drover.Agent.Docker;

namespace Drover.Agent.Tests.Docker;

/// <summary>The Docker client's parsing: multiplexed log frames, events, progress and error bodies, names and times.</summary>
public sealed class DockerWireTests
{
    /// <summary>Hands out one byte per read: every header and payload arrives split.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], ct);
    }

    private static byte[] Frames(params (DockerStreamType Type, string Text)[] frames) =>
        [.. frames.SelectMany(f => DockerLogFrames.Encode(f.Type, Encoding.UTF8.GetBytes(f.Text)))];

    private static async Task<List<(DockerStreamType, string)>> ReadAll(Stream s)
    {
        var list = new List<(DockerStreamType, string)>();
        await foreach (var f in DockerLogFrames.ReadAsync(s)) list.Add((f.Stream, Encoding.UTF8.GetString(f.Payload.Span)));
        return list;
    }

    [Fact]
    public async Task Multiplexed_frames_are_split_by_stream_even_when_reads_split_headers()
    {
        var data = Frames((DockerStreamType.Stdout, "out1\n"), (DockerStreamType.Stderr, "err1\n"), (DockerStreamType.Stdout, ""), (DockerStreamType.Stdout, "ünïcode\n"));
        var frames = await ReadAll(new TrickleStream(data));
        Assert.Equal([(DockerStreamType.Stdout, "out1\n"), (DockerStreamType.Stderr, "err1\n"), (DockerStreamType.Stdout, ""), (DockerStreamType.Stdout, "ünïcode\n")], frames);
    }

    [Fact]
    public async Task A_stream_cut_inside_a_frame_or_without_framing_is_a_protocol_error()
    {
        var data = Frames((DockerStreamType.Stdout, "hello\n"));
        var cut = await Assert.ThrowsAsync<DockerProtocolException>(() => ReadAll(new MemoryStream(data[..^2])));
        Assert.Contains("ended inside a frame (4 of 6 bytes)", cut.Message);
        await Assert.ThrowsAsync<DockerProtocolException>(() => ReadAll(new MemoryStream(data[..5])));
        var raw = await Assert.ThrowsAsync<DockerProtocolException>(() => ReadAll(new MemoryStream(Encoding.ASCII.GetBytes("plain tty output\n"))));
        Assert.Contains("not a multiplexed log stream", raw.Message);
        Assert.Empty(await ReadAll(new MemoryStream()));
    }

    [Fact]
    public void Timestamps_are_split_from_the_text_with_nanoseconds()
    {
        var (at, text) = DockerLogFrames.SplitTimestamp(Encoding.UTF8.GetBytes("2026-11-29T22:17:55.878168632Z hello world\n"));
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 22, 17, 55, TimeSpan.Zero).AddTicks(8781686), at);
        Assert.Equal("hello world\n", Encoding.UTF8.GetString(text.Span));
        var (none, same) = DockerLogFrames.SplitTimestamp(Encoding.UTF8.GetBytes("no time here\n"));
        Assert.Null(none);
        Assert.Equal("no time here\n", Encoding.UTF8.GetString(same.Span));
    }

    [Fact]
    public void Events_parse_and_name_the_container_and_bad_lines_are_named()
    {
        var e = DockerEvents.Parse("""{"status":"die","id":"abc123","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"abc123","Attributes":{"exitCode":"137","drover.task-id":"t1"}},"scope":"local","time":1795990676,"timeNano":1795990676111102723}""");
        Assert.NotNull(e);
        Assert.Equal("die", e!.Action);
        Assert.Equal("abc123", e.ContainerId);
        Assert.Equal("137", e.Actor!.Attributes!["exitCode"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795990676).AddTicks(1111027), DockerEvents.TimeOf(e));
        Assert.Null(DockerEvents.Parse("   "));
        var bad = Assert.Throws<DockerProtocolException>(() => DockerEvents.Parse("{not json"));
        Assert.StartsWith("not a Docker event: {not json", bad.Message);
    }

    [Fact]
    public async Task An_event_stream_yields_each_line()
    {
        var text = """
            {"Type":"container","Action":"oom","Actor":{"ID":"a"},"time":1}

            {"Type":"container","Action":"die","Actor":{"ID":"a"},"time":2}
            """;
        var events = new List<DockerEvent>();
        await foreach (var e in DockerEvents.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)))) events.Add(e);
        Assert.Equal(["oom", "die"], events.Select(e => e.Action));
    }

    [Fact]
    public void Error_bodies_become_clear_messages()
    {
        Assert.Equal("No such container: x", DockerClient.ErrorMessage("""{"message":"No such container: x"}""" + "\n"));
        Assert.Equal("page not found", DockerClient.ErrorMessage("page not found\n"));
        Assert.Equal("(no message)", DockerClient.ErrorMessage(""));
        Assert.Equal("""{"other":1}""", DockerClient.ErrorMessage("""{"other":1}"""));
        var e = new DockerApiException("start container abc", System.Net.HttpStatusCode.Conflict, "container is paused");
        Assert.Equal("docker start container abc: 409 Conflict: container is paused", e.Message);
        Assert.Equal("docker pull x:1: denied", new DockerApiException("pull x:1", null, "denied").Message);
    }

    [Fact]
    public void Pull_progress_reports_errors_inside_the_stream()
    {
        Assert.Null(DockerClient.ParseProgress("""{"status":"Pulling from library/busybox","id":"1"}"""));
        Assert.Equal("unauthorized: authentication required",
            DockerClient.ParseProgress("""{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}"""));
        Assert.Equal("oops", DockerClient.ParseProgress("""{"error":"oops"}"""));
        Assert.Null(DockerClient.ParseProgress("not json"));
    }

    [Fact]
    public void Registry_auth_is_base64url_json()
    {
        var encoded = DockerClient.EncodeAuth(new RegistryAuth { Username = "u>?", Password = "p~~~", ServerAddress = "127.0.0.1:5000" });
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Replace('-', '+').Replace('_', '/')));
        Assert.Equal("""{"username":"u\u003E?","password":"p~~~","serveraddress":"127.0.0.1:5000"}""", json);
    }

    [Theory]
    [InlineData("busybox", "docker.io", "busybox", "latest")]
    [InlineData("busybox:1.36", "docker.io", "busybox", "1.36")]
    [InlineData("library/nginx:1", "docker.io", "library/nginx", "1")]
    [InlineData("127.0.0.1:5000/team/app:2", "127.0.0.1:5000", "127.0.0.1:5000/team/app", "2")]
    [InlineData("127.0.0.1:5000/team/app", "127.0.0.1:5000", "127.0.0.1:5000/team/app", "latest")]
    [InlineData("localhost/app", "localhost", "localhost/app", "latest")]
    [InlineData("registry.example.com/app@sha256:abc", "registry.example.com", "registry.example.com/app", "sha256:abc")]
    public void Image_names_split_into_registry_repository_and_tag(string image, string registry, string repository, string tag)
    {
        var r = ImageReference.Parse(image);
        Assert.Equal((registry, repository, tag), (r.Registry, r.Repository, r.Tag));
    }

    [Fact]
    public void Since_is_sent_as_unix_seconds_with_nanoseconds()
    {
        Assert.Equal("1795990676.111102700", DockerClient.UnixTime(DateTimeOffset.FromUnixTimeSeconds(1795990676).AddTicks(1111027)));
        Assert.Equal("0.000000000", DockerClient.UnixTime(DateTimeOffset.UnixEpoch));
    }
}
