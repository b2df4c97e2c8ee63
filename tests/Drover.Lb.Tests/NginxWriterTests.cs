using Drover.Lb.Model;
using Drover.Lb.Nginx;

namespace Drover.Lb.Tests;

/// <summary>The writer against the real <c>nginx -t</c>: unchanged text is not rewritten, a refused config keeps the old file.</summary>
public sealed class NginxWriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("drover-nginx-w");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact(Timeout = 60000)]
    public async Task WritesOnlyChangedAndValidConfigs()
    {
        var settings = new NginxSettings { Prefix = Path.Combine(_dir.FullName, "prefix"), BindAddress = "127.0.0.1", HttpPort = 1 };
        var file = Path.Combine(_dir.FullName, "nginx.conf");
        var writer = new NginxWriter(file, settings);
        var sample = NginxRenderer.Render(ConfigRendererTests.Sample(), settings);

        Assert.Equal(new NginxWriteResult(NginxWriteOutcome.Written), await writer.WriteAsync(sample));
        Assert.Equal(sample, await File.ReadAllTextAsync(file));
        var stamp = File.GetLastWriteTimeUtc(file);
        Assert.Equal(new NginxWriteResult(NginxWriteOutcome.Unchanged), await writer.WriteAsync(sample));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));

        var broken = sample.Replace("proxy_pass http://fib_0/;", "proxy_pass http://no_such_upstream/;");
        var refused = await writer.WriteAsync(broken);
        Assert.Equal(NginxWriteOutcome.Rejected, refused.Outcome);
        Assert.StartsWith("nginx -t refused the new config, the old one stays: ", refused.Error);
        Assert.Contains("no_such_upstream", refused.Error);
        Assert.Contains("nginx.conf", refused.Error);
        Assert.Equal(sample, await File.ReadAllTextAsync(file));
        Assert.False(File.Exists(file + ".new"));

        var empty = NginxRenderer.Render(LbConfig.Empty, settings);
        Assert.Equal(NginxWriteOutcome.Written, (await writer.WriteAsync(empty)).Outcome);
    }
}
