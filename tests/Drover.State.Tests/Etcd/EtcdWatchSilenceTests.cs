using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

/// <summary>
/// A watch stream on a link that went dead without closing delivers nothing and ends nothing. The store notices that
/// etcd holds a batch its copy has not seen and reopens the stream; a quiet cluster's silent stream is left alone.
/// </summary>
public sealed class EtcdWatchSilenceTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>
{
    /// <summary>Passes every request through; once <see cref="Silence"/> is set, watch streams open before it deliver nothing more.</summary>
    private sealed class SilencingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private volatile TaskCompletionSource _silenced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _generation;
        public int WatchesOpened => Volatile.Read(ref _generation);

        public void Silence() => _silenced.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            if (request.RequestUri?.AbsolutePath != "/v3/watch") return response;
            Interlocked.Increment(ref _generation);
            if (_silenced.Task.IsCompleted) return response; // a stream opened after the link "died" works
            var inner = await response.Content.ReadAsStreamAsync(ct);
            var content = new StreamContent(new SilencedStream(inner, _silenced.Task));
            foreach (var h in response.Content.Headers) content.Headers.TryAddWithoutValidation(h.Key, h.Value);
            response.Content = content;
            return response;
        }
    }

    /// <summary>Reads through until silenced, then hangs (until cancelled) as a dead TCP link does.</summary>
    private sealed class SilencedStream(Stream inner, Task silenced) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var read = inner.ReadAsync(buffer, ct).AsTask();
            var first = await Task.WhenAny(read, silenced);
            if (first == read && !silenced.IsCompleted) return await read;
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task A_silent_watch_is_reopened_when_etcd_holds_a_batch_the_copy_has_not_seen()
    {
        var prefix = SingleEtcd.NewPrefix();
        var handler = new SilencingHandler();
        using var silentClient = new EtcdClient(etcd.Cluster.Endpoints.Split(',').Select(e => new Uri(e)).ToList(), handler);
        using var writerClient = EtcdClient.Create(etcd.Cluster.Endpoints);
        await using var reader = await EtcdStateStore.OpenAsync(silentClient, new EtcdStateStoreOptions { Prefix = prefix, WatchSilenceCheck = TimeSpan.FromMilliseconds(300) });
        await using var writer = await EtcdStateStore.OpenAsync(writerClient, new EtcdStateStoreOptions { Prefix = prefix, WatchSilenceCheck = null });

        var first = await writer.ApplyAsync(Test.Put("a", "before"));
        Assert.Equal(first.Index, (await reader.WaitForIndexAsync(first.Index - 1, Test.Deadline)).Index);

        // quiet and silent: nothing to miss, nothing dropped
        handler.Silence();
        var checks = reader.SilenceChecks;
        var until = DateTime.UtcNow + Test.Deadline;
        while (reader.SilenceChecks < checks + 3 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.True(reader.SilenceChecks >= checks + 3, "the silence check did not run");
        Assert.Equal(0, reader.SilentWatchesDropped);

        var missed = await writer.ApplyAsync(Test.Put("b", "while silent"));
        var seen = await reader.WaitForIndexAsync(missed.Index - 1, Test.Deadline);
        Assert.Equal(missed.Index, seen.Index);
        Assert.Equal("while silent", seen.Get(Test.Docs, "b")!.Name);
        Assert.True(reader.SilentWatchesDropped >= 1);
        Assert.True(handler.WatchesOpened >= 2);
    }
}
