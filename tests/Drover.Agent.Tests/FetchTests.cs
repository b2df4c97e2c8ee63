using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Drover.Agent.Drivers;
using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Apps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

public sealed class FetchTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private ProcessDriver _driver = null!;
    private TestHttpServer _http = null!;
    private int _downloads;

    public async Task InitializeAsync()
    {
        _driver = new ProcessDriver(new ProcessDriverOptions { DataDir = _dir.Combine("agent"), EnableCgroups = false });
        _http = await TestHttpServer.StartAsync(app =>
        {
            app.MapGet("/files/config.txt", () =>
            {
                Interlocked.Increment(ref _downloads);
                return Results.Text("from-http\n");
            });
            app.MapGet("/files/app.zip", () => Results.Bytes(MakeZip(), "application/zip"));
        });
    }

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        await _driver.DisposeAsync();
        await _http.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = 30_000)]
    public async Task Fetches_file_path_and_http_uris_extracts_archives_and_marks_executables()
    {
        var tarGz = _dir.Combine("artifacts", "bundle.tar.gz");
        MakeTarGz(tarGz);
        var script = _dir.Combine("artifacts", "run.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho run-sh-ran\n");

        var spec = Specs.Cmd("./bin/hello.sh && cat conf/config.txt && ./run.sh && cat zipped.txt && test -f bundle.tar.gz && echo kept-archive") with
        {
            Fetch =
            [
                new FetchUri { Uri = new Uri(tarGz).AbsoluteUri, Extract = true },
                new FetchUri { Uri = script, Executable = true, Extract = false },
                new FetchUri { Uri = new Uri(_http.BaseUri, "/files/config.txt").AbsoluteUri, DestPath = "conf/config.txt" },
                new FetchUri { Uri = new Uri(_http.BaseUri, "/files/app.zip").AbsoluteUri },
            ],
        };

        var handle = _reaper.Track(await _driver.StartAsync(spec, CancellationToken.None));
        var exit = await Eventually.Within(handle.Exited, "task exit");

        var stdout = await File.ReadAllTextAsync(Path.Combine(handle.Sandbox, "stdout"));
        var stderr = await File.ReadAllTextAsync(Path.Combine(handle.Sandbox, "stderr"));
        Assert.True(exit.Success, $"{exit.Describe()}; stderr: {stderr}");
        Assert.Equal("hello-from-tar\nfrom-http\nrun-sh-ran\nfrom-zip\nkept-archive\n", stdout);
        Assert.Equal(1, _downloads);
    }

    [Fact(Timeout = 20_000)]
    public async Task Http_error_fails_the_launch_naming_the_uri()
    {
        var uri = new Uri(_http.BaseUri, "/files/missing.tgz").AbsoluteUri;
        var spec = Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = uri }] };

        var e = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(spec, CancellationToken.None));

        Assert.Contains(uri, e.Message);
        Assert.Contains("404", e.Message);
    }

    [Fact(Timeout = 20_000)]
    public async Task Missing_file_unsupported_scheme_and_escaping_dest_path_fail_the_launch()
    {
        var missing = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(
            Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = "file:///nonexistent/thing.tar" }] }, CancellationToken.None));
        Assert.Contains("fetch of file:///nonexistent/thing.tar failed", missing.Message);

        var scheme = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(
            Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = "hdfs://namenode/x.jar" }] }, CancellationToken.None));
        Assert.Contains("unsupported scheme 'hdfs'", scheme.Message);

        var local = _dir.Combine("plain.txt");
        await File.WriteAllTextAsync(local, "x");
        var escape = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(
            Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = local, DestPath = "../../outside.txt" }] }, CancellationToken.None));
        Assert.Contains("outside the sandbox", escape.Message);
    }

    private static void MakeTarGz(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)Convert.ToInt32("755", 8) });
        var content = Encoding.UTF8.GetBytes("#!/bin/sh\necho hello-from-tar\n");
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/hello.sh")
        {
            Mode = (UnixFileMode)Convert.ToInt32("755", 8),
            DataStream = new MemoryStream(content),
        });
    }

    private static byte[] MakeZip()
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var w = new StreamWriter(zip.CreateEntry("zipped.txt").Open());
            w.Write("from-zip\n");
        }
        return ms.ToArray();
    }
}
