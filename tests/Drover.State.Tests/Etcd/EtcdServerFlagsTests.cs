using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

public sealed class EtcdServerFlagsTests
{
    [Theory]
    [InlineData("etcdserver: too many operations in txn request")]
    [InlineData("etcdserver: request is too large")]
    public void A_txn_over_etcds_limits_says_which_flags_to_start_etcd_with(string answer)
    {
        var explained = EtcdServerFlags.Explain(new EtcdException(answer, 3), 600);

        Assert.NotNull(explained);
        Assert.Contains("600 operations", explained.Message, StringComparison.Ordinal);
        Assert.Contains("--max-txn-ops 100000 --max-request-bytes 33554432", explained.Message, StringComparison.Ordinal);
        Assert.Equal(3, explained.Code);
    }

    [Fact]
    public void Other_failures_are_left_as_they_are() =>
        Assert.Null(EtcdServerFlags.Explain(new EtcdException("etcdserver: no leader", 14), 3));
}
