using Drover.Agent.Ports;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests;

public sealed class EphemeralRangeTests
{
    [Theory]
    [InlineData("32768\t60999\n", 32768, 60999)]
    [InlineData("1024 65535", 1024, 65535)]
    public void Reads_the_kernels_format(string text, int begin, int end) =>
        Assert.Equal(new PortRange(begin, end), EphemeralRange.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("32768")]
    [InlineData("60999 32768")]
    [InlineData("a b")]
    [InlineData("-1 5")]
    public void Junk_is_no_range(string text) => Assert.Null(EphemeralRange.Parse(text));

    [Fact]
    public void Only_the_overlapping_parts_are_named()
    {
        var ephemeral = new PortRange(32768, 60999);
        Assert.Empty(EphemeralRange.Overlaps([new PortRange(31000, 32000)], ephemeral)); // the default
        Assert.Equal(["32768-33000", "40000-40099"],
            EphemeralRange.Overlaps([new PortRange(20000, 20099), new PortRange(32000, 33000), new PortRange(40000, 40099)], ephemeral));
    }

    [Fact]
    public void This_machine_has_one() => Assert.NotNull(EphemeralRange.Read());
}
