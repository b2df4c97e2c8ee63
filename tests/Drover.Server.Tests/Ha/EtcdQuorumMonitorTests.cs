using Drover.Agent.Tests.Infrastructure;
using Drover.Server.Storage;
using Drover.State.Etcd.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Server.Tests.Ha;

public sealed class EtcdQuorumMonitorTests
{
    private const string Lost = "etcd has no leader (quorum lost: 2 of 3 members unreachable)";

    private static EtcdQuorumMonitor Monitor(ManualTimeProvider time) =>
        new(new EtcdClient([new Uri("http://127.0.0.1:9")]), time, NullLogger<EtcdQuorumMonitor>.Instance);

    [Fact]
    public void One_miss_is_not_stale_two_are_and_the_first_good_answer_ends_it()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var monitor = Monitor(time);
        monitor.Observe(null);
        var contact = time.GetUtcNow();

        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Observe(Lost);
        Assert.False(monitor.IsStale); // one slow round on a busy machine refuses no write

        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Observe(Lost);
        Assert.True(monitor.IsStale);
        Assert.Equal(Lost, monitor.StaleCause);
        Assert.Equal(contact, monitor.LastContact); // when the quorum was last seen, for X-Consul-LastContact

        time.Advance(TimeSpan.FromSeconds(5));
        monitor.Observe(null);
        Assert.False(monitor.IsStale);
        Assert.Null(monitor.StaleCause);
        Assert.Equal(time.GetUtcNow(), monitor.LastContact);
    }

    [Fact]
    public void A_good_answer_between_misses_starts_the_count_again()
    {
        var monitor = Monitor(new ManualTimeProvider());
        monitor.Observe(Lost);
        monitor.Observe(null);
        monitor.Observe(Lost);
        Assert.False(monitor.IsStale);
    }

    [Fact]
    public void The_local_store_is_never_stale()
    {
        var health = new LocalStoreHealth(new ManualTimeProvider());
        Assert.False(health.IsStale);
        Assert.Null(health.StaleCause);
    }
}
