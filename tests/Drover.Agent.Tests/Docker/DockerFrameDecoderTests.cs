using System.Text;
using Drover.Agent.Docker;

namespace Drover.Agent.Tests.Docker;

/// <summary>The push parser of Docker's multiplexed log stream: any split of the bytes, bad headers, and fuzz.</summary>
public sealed class DockerFrameDecoderTests
{
    private static byte[] Frames(params (DockerStreamType Type, string Text)[] frames) =>
        [.. frames.SelectMany(f => DockerLogFrames.Encode(f.Type, Encoding.UTF8.GetBytes(f.Text)))];

    private static List<(DockerStreamType, string)> Decode(DockerFrameDecoder d, ReadOnlySpan<byte> bytes) =>
        [.. d.Feed(bytes).Select(f => (f.Stream, Encoding.UTF8.GetString(f.Payload.Span)))];

    [Fact]
    public void Frames_come_out_whole_however_the_bytes_are_split()
    {
        var data = Frames((DockerStreamType.Stdout, "out1\n"), (DockerStreamType.Stderr, "err1\n"), (DockerStreamType.Stdout, ""), (DockerStreamType.Stdout, "ünï\n"));
        for (var piece = 1; piece <= data.Length; piece++)
        {
            var d = new DockerFrameDecoder();
            var got = new List<(DockerStreamType, string)>();
            for (var at = 0; at < data.Length; at += piece) got.AddRange(Decode(d, data.AsSpan(at, Math.Min(piece, data.Length - at))));
            Assert.Equal([(DockerStreamType.Stdout, "out1\n"), (DockerStreamType.Stderr, "err1\n"), (DockerStreamType.Stdout, ""), (DockerStreamType.Stdout, "ünï\n")], got);
            Assert.False(d.InFrame);
            Assert.Null(d.Unfinished);
        }
    }

    [Fact]
    public void A_stream_cut_inside_a_header_or_a_payload_says_where()
    {
        var data = Frames((DockerStreamType.Stdout, "hello\n"));
        var d = new DockerFrameDecoder();
        Assert.Empty(d.Feed(data.AsSpan(0, 5)));
        Assert.Equal("the log stream ended inside a frame header (5 of 8 bytes)", d.Unfinished);
        Assert.Empty(d.Feed(data.AsSpan(5, 5)));
        Assert.Equal("the log stream ended inside a frame (2 of 6 bytes)", d.Unfinished);
    }

    [Fact]
    public void A_header_claiming_four_gibibytes_is_refused_before_anything_is_allocated_and_the_decoder_stays_refused()
    {
        var d = new DockerFrameDecoder();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DockerProtocolException>(() => d.Feed([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024);
        Assert.Equal("a log frame of 4294967295 bytes is larger than Docker sends", e.Message);
        Assert.Throws<DockerProtocolException>(() => d.Feed(Frames((DockerStreamType.Stdout, "x"))));
    }

    [Fact]
    public void A_large_but_allowed_frame_grows_its_buffer_only_as_bytes_arrive()
    {
        var d = new DockerFrameDecoder(maxFrame: 1 << 24);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Empty(d.Feed([2, 0, 0, 0, 0x00, 0xff, 0xff, 0xff, (byte)'a']));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 256 * 1024, "a 16 MiB claim with one byte behind it costs 64 KiB at most");
        Assert.Equal("the log stream ended inside a frame (1 of 16777215 bytes)", d.Unfinished);
    }

    [Fact]
    public void Tty_output_is_not_a_multiplexed_stream()
    {
        var e = Assert.Throws<DockerProtocolException>(() => new DockerFrameDecoder().Feed("plain tty output\n"u8));
        Assert.StartsWith("not a multiplexed log stream (header 706C61696E207474)", e.Message);
    }

    [Fact]
    public void Fuzz_random_and_mutated_streams_never_crash_and_never_hold_more_than_the_cap()
    {
        var random = new Random(1234);
        var good = Frames((DockerStreamType.Stdout, "2026-11-29T22:17:55.878168632Z hello\n"), (DockerStreamType.Stderr, new string('x', 3000)));
        for (var round = 0; round < 5000; round++)
        {
            var bytes = round % 2 == 0 ? new byte[random.Next(0, 64)] : (byte[])good.Clone();
            if (round % 2 == 0) random.NextBytes(bytes);
            else for (var i = random.Next(1, 4); i > 0; i--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var d = new DockerFrameDecoder(maxFrame: 4096);
            var at = 0;
            try
            {
                while (at < bytes.Length)
                {
                    var n = random.Next(1, 17);
                    foreach (var f in d.Feed(bytes.AsSpan(at, Math.Min(n, bytes.Length - at))))
                    {
                        Assert.True(f.Payload.Length <= 4096);
                        Assert.True((byte)f.Stream <= 2);
                        _ = DockerLogFrames.SplitStamp(f.Payload);
                    }
                    at += n;
                }
                _ = d.Unfinished;
            }
            catch (DockerProtocolException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Message));
            }
        }
    }

    [Theory]
    [InlineData("2026-11-29T22:17:55.878168632Z", 1795990675878168632L)]
    [InlineData("2026-11-29T22:17:55Z", 1795990675000000000L)]
    [InlineData("2026-11-29T22:17:55.8Z", 1795990675800000000L)]
    [InlineData("1970-01-01T00:00:00.000000001Z", 1L)]
    public void Docker_timestamps_keep_all_nine_digits(string text, long nanos)
    {
        Assert.True(DockerLogFrames.TryParseUnixNanos(text, out var got));
        Assert.Equal(nanos, got);
        Assert.Equal($"{nanos / 1_000_000_000}.{nanos % 1_000_000_000:D9}", DockerClient.UnixTime(got));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a time")]
    [InlineData("2026-11-29T22:17:55.1234567890Z")]
    [InlineData("1969-12-31T23:59:59Z")]
    public void Bad_timestamps_are_refused(string text) => Assert.False(DockerLogFrames.TryParseUnixNanos(text, out _));
}
