using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>--server takes several servers (one etcd cluster's servers): each is checked, and an unreachable one is skipped.</summary>
public sealed class ServerListOptionTests
{
    [Fact]
    public void A_comma_separated_list_gives_every_server_in_order()
    {
        var uris = ClientOptions.ParseServers("http://10.0.0.1:8080, http://10.0.0.2:8080,https://s3.example:8443");
        Assert.Equal(["http://10.0.0.1:8080/", "http://10.0.0.2:8080/", "https://s3.example:8443/"], uris.Select(u => u.ToString()));
    }

    [Theory]
    [InlineData("http://10.0.0.1:8080,nope", "--server 'nope' is not an http:// or https:// URL")]
    [InlineData(" , ", "--server ' , ' names no server")]
    public void A_bad_entry_is_named(string value, string expected) =>
        Assert.Equal(expected, Assert.Throws<UsageException>(() => ClientOptions.ParseServers(value)).Message);

    [Fact(Timeout = 30_000)]
    public async Task A_server_that_cannot_be_reached_is_skipped_for_the_next_one()
    {
        using var live = new TcpListener(IPAddress.Loopback, 0);
        live.Start();
        var port = ((IPEndPoint)live.LocalEndpoint).Port;
        var requests = 0;
        var serving = Task.Run(async () =>
        {
            // A stand-in server: every request gets an empty app list, one request per connection.
            while (true)
            {
                using var client = await live.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read));
                    if (n == 0) break;
                    read += n;
                }
                Interlocked.Increment(ref requests);
                const string body = """{"apps":[]}""";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            }
        });

        var run = await CliHarness.RunAsync("app", "ls", "--server", $"{CliHarness.DeadServer},http://127.0.0.1:{port}", "-o", "json");
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.True(Volatile.Read(ref requests) >= 1);
        live.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => serving);
    }
}
