using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests.Docker;

/// <summary>
/// Pulls from a private registry (Debian's docker-registry on 127.0.0.1 with htpasswd basic auth) with the
/// credentials a Marathon user gives: a docker.tar.gz holding .docker/config.json in the app's uris/fetch, as
/// Marathon documents it and Mesos reads it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerRegistryTests(DockerFixture docker) : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "s3cret-pw";
    private readonly TempDir _dir = new("docker-registry");
    private DroverProcess? _registry;
    private DockerDriver _driver = null!;
    private int _port;

    private DockerDaemon D => docker.Daemon;
    private string Image => $"127.0.0.1:{_port}/drover-test/private:1";

    public async Task InitializeAsync()
    {
        var registry = new[] { "/usr/bin/docker-registry" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("docker-registry is not installed (apt-get install docker-registry; ./test.sh does it)");
        var htpasswd = await ProcessRunner.RunAsync("htpasswd", ["-Bbn", User, Password], TimeSpan.FromSeconds(30));
        if (!htpasswd.Succeeded) throw new InvalidOperationException($"htpasswd (apache2-utils) failed: {htpasswd}");
        await File.WriteAllTextAsync(_dir.Combine("htpasswd"), htpasswd.Stdout.Trim() + "\n");
        _port = DockerDaemon.FreePort();
        await File.WriteAllTextAsync(_dir.Combine("config.yml"), $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_dir.Combine("data")}
            http:
              addr: 127.0.0.1:{_port}
            auth:
              htpasswd:
                realm: drover-test
                path: {_dir.Combine("htpasswd")}
            """);
        _registry = DroverProcess.StartExecutable(registry, ["serve", _dir.Combine("config.yml")], new ProcessOptions { Name = "docker-registry" });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.AsyncAssert(async () =>
        {
            if (_registry.HasExited) throw new EventuallyAbortedException($"docker-registry exited.\n{_registry.FormatOutput()}");
            return (int)(await http.GetAsync($"http://127.0.0.1:{_port}/v2/")).StatusCode == 401;
        }, TimeSpan.FromSeconds(30), "the registry asks for credentials", () => _registry.FormatOutput());

        // Push the test image with the docker CLI logged in under a config of its own (never the host user's).
        var cli = _dir.CreateSubdirectory("cli");
        await D.DockerAsync("--config", cli, "login", "-u", User, "-p", Password, $"127.0.0.1:{_port}");
        await D.DockerAsync("tag", DockerDaemon.Image, Image);
        await D.DockerAsync("--config", cli, "push", Image);
        await D.DockerAsync("rmi", Image);
        _driver = new DockerDriver(new DockerDriverOptions { DataDir = _dir.CreateSubdirectory("agent"), Socket = D.Socket });
    }

    public async Task DisposeAsync()
    {
        if (_driver is not null)
        {
            foreach (var c in await D.Client.ListContainersAsync(new Dictionary<string, string> { [DockerContainerSpec.AgentLabel] = _driver.AgentKey }))
                await D.Client.RemoveContainerAsync(c.Id);
            await _driver.DisposeAsync();
        }
        try { await D.DockerAsync("rmi", Image); }
        catch (InvalidOperationException) { } // not pulled
        if (_registry is not null) await _registry.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>docker.tar.gz with .docker/config.json, as Marathon's private-registry recipe makes it.</summary>
    private string Credentials(string name, string password)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{password}"));
        var json = $$"""{"auths":{"127.0.0.1:{{_port}}":{"auth":"{{auth}}"} } }""";
        var path = _dir.Combine(name + ".tar.gz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, ".docker/"));
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ".docker/config.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)) });
        return path;
    }

    private TaskSpec Spec(string? credentials) => new()
    {
        TaskId = $"private.instance-{Guid.NewGuid():D}._app.1",
        AppId = "/private",
        Version = "2026-11-29T20:00:00.000Z",
        Cmd = "echo pulled and running",
        MemMb = 16,
        Fetch = credentials is null ? [] : [new FetchUri { Uri = "file://" + credentials, Extract = true }],
        Container = new ContainerSpec { Type = "DOCKER", Docker = new DockerSpec { Image = Image, Network = "NONE" } },
    };

    [Fact(Timeout = 180_000)]
    public async Task An_image_is_pulled_with_the_credentials_fetched_into_the_sandbox_and_refused_without_them()
    {
        var none = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(Spec(null), CancellationToken.None));
        Assert.StartsWith($"cannot pull image {Image}: ", none.Message);
        Assert.Contains("no basic auth credentials", none.Message);

        var wrong = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(Spec(Credentials("wrong", "not-it")), CancellationToken.None));
        Assert.StartsWith($"cannot pull image {Image}: ", wrong.Message);
        Assert.Contains("unauthorized", wrong.Message, StringComparison.OrdinalIgnoreCase);

        var handle = await _driver.StartAsync(Spec(Credentials("right", Password)), CancellationToken.None);
        var exit = await handle.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit.Success, exit.Describe());
        Assert.Equal("pulled and running\n", await File.ReadAllTextAsync(Path.Combine(handle.Sandbox, "stdout")));
    }
}
