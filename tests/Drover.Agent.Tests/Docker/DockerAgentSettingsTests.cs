using System.Text;
using Drover.Agent.Docker;
using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;

namespace Drover.Agent.Tests.Docker;

/// <summary>Registry credentials from the sandbox, the containers' resolver, and stats.</summary>
public sealed class DockerAgentSettingsTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    /// <summary>{"auths": {registry: {"auth": base64}}} (or without "auths", the old .dockercfg shape).</summary>
    private static string Config(bool auths, params (string Registry, string Plain)[] entries)
    {
        var inner = string.Join(",", entries.Select(e => $"\"{e.Registry}\":{{\"auth\":\"{B64(e.Plain)}\"}}"));
        return auths ? "{\"auths\":{" + inner + "}}" : "{" + inner + "}";
    }

    [Fact]
    public void Credentials_come_from_a_docker_config_for_the_images_registry()
    {
        var config = Config(true, ("https://127.0.0.1:5000/v2/", "alice:s3cr:et"), ("other:1", "bob:x"));
        var auth = DockerConfigAuth.FromConfig(config, "127.0.0.1:5000");
        Assert.Equal(("alice", "s3cr:et", "127.0.0.1:5000"), (auth!.Username, auth.Password, auth.ServerAddress));
        Assert.Null(DockerConfigAuth.FromConfig(config, "127.0.0.1:5001"));
        // The old .dockercfg shape, and Docker Hub's many names.
        var hub = DockerConfigAuth.FromConfig(Config(false, ("https://index.docker.io/v1/", "carol:pw")), "docker.io");
        Assert.Equal("carol", hub!.Username);
    }

    [Fact]
    public void Broken_credentials_fail_the_launch_with_the_reason()
    {
        Assert.Contains("not valid JSON", Assert.Throws<TaskLaunchException>(() => DockerConfigAuth.FromConfig("{", "r")).Message);
        Assert.Equal("the credentials for r in config.json are not base64 of user:password",
            Assert.Throws<TaskLaunchException>(() => DockerConfigAuth.FromConfig(Config(true, ("r", "nocolon")), "r")).Message);
    }

    [Fact]
    public void Credentials_are_found_in_the_sandbox()
    {
        var sandbox = Directory.CreateTempSubdirectory("drover-auth-").FullName;
        try
        {
            Assert.Null(DockerConfigAuth.Find(sandbox, "127.0.0.1:5000"));
            Directory.CreateDirectory(Path.Combine(sandbox, ".docker"));
            File.WriteAllText(Path.Combine(sandbox, ".docker", "config.json"), Config(true, ("127.0.0.1:5000", "u:p")));
            Assert.Equal("u", DockerConfigAuth.Find(sandbox, "127.0.0.1:5000")!.Username);
        }
        finally
        {
            Directory.Delete(sandbox, recursive: true);
        }
    }

    [Theory]
    [InlineData("10.0.0.1:53", "http://10.0.0.1:8080", "10.0.0.1")]
    [InlineData("0.0.0.0:53", "http://10.0.0.9:8080", "10.0.0.9")]
    [InlineData("127.0.0.1:8600", "http://127.0.0.1:8080", null)]
    [InlineData("127.0.0.1:53", "http://127.0.0.1:8080", null)]
    [InlineData("10.0.0.1:8600", "http://10.0.0.1:8080", null)]
    [InlineData("0.0.0.0:53", "http://server.example:8080", null)]
    [InlineData(null, "http://10.0.0.1:8080", null)]
    public void Containers_use_drovers_dns_only_where_they_can_reach_it(string? dns, string server, string? expected)
    {
        var (servers, why) = ContainerDns.Choose(dns, server);
        Assert.Equal(expected is null ? [] : [expected], servers);
        Assert.NotEmpty(why);
    }

    [Fact]
    public void The_loopback_case_says_why()
    {
        Assert.Equal("the server's DNS listens on port 8600, and Docker's --dns can only use port 53", ContainerDns.Choose("127.0.0.1:8600", "http://127.0.0.1:8080").Why);
        Assert.Equal("the server's DNS listens on 127.0.0.1, which containers cannot reach (their loopback is their own)",
            ContainerDns.Choose("127.0.0.1:53", "http://127.0.0.1:8080").Why);
    }

    [Fact]
    public void Stats_leave_the_page_cache_out_of_memory_use()
    {
        var now = DateTimeOffset.UnixEpoch;
        var usage = DockerTaskHandle.Usage(new DockerStats
        {
            Read = "2026-11-29T22:00:00.5Z",
            CpuStats = new DockerCpuStats { CpuUsage = new DockerCpuUsage { TotalUsage = 123_456_789 } },
            MemoryStats = new DockerMemoryStats { Usage = 10_000, Limit = 33_554_432, Stats = new Dictionary<string, ulong> { ["cache"] = 4_000 } },
        }, now);
        Assert.Equal((123_456_789UL, 6_000UL, (ulong?)33_554_432), (usage.CpuUsageNanos, usage.MemoryBytes, usage.MemoryLimitBytes));
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T22:00:00.5Z"), usage.Timestamp);
    }
}
