using System.Net;
using System.Net.Sockets;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests;

/// <summary>Real `drover server` processes: a second one on the same data directory or on a taken DNS port exits naming the conflict; SIGKILL frees the directory.</summary>
public sealed class DataDirConflictTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private static string Output(DroverProcess p) => string.Join('\n', p.Lines.Select(l => l.Text));

    [Fact(Timeout = 180_000)]
    public async Task A_second_server_on_a_held_data_dir_exits_naming_the_holder_and_SIGKILL_releases_it()
    {
        using var dir = new TempDir("datadir-lock");
        await using var first = await DroverProcess.StartServerAsync(dir.Path);

        await using var second = DroverProcess.Start("server", "--listen", $"127.0.0.1:{FreePort.Get()}", "--data-dir", dir.Path, "--dns-listen", "127.0.0.1:0");
        var code = await second.WaitForExitAsync(ExitTimeout);
        Assert.True(code != 0, second.FormatOutput());
        Assert.Contains($"data directory {dir.Path} is in use by another drover process (pid {first.Pid})", Output(second));
        Assert.DoesNotContain("database is locked", Output(second)); // it never got as far as the database

        await first.KillAsync(); // SIGKILL: no chance to unlock anything itself
        await using var third = await DroverProcess.StartServerAsync(dir.Path);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(third.BaseAddress!, "/ping"))).StatusCode);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_server_whose_dns_port_is_taken_exits_naming_the_port()
    {
        using var dir = new TempDir("dns-taken");
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var dnsPort = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;

        await using var server = DroverProcess.Start("server", "--listen", $"127.0.0.1:{FreePort.Get()}", "--data-dir", dir.Path, "--dns-listen", $"127.0.0.1:{dnsPort}");
        var code = await server.WaitForExitAsync(ExitTimeout);
        Assert.True(code != 0, server.FormatOutput());
        Assert.Contains($"127.0.0.1:{dnsPort} (dns) is already in use by another program", Output(server));

        await using var next = await DroverProcess.StartServerAsync(dir.Path); // the failed one left the directory free
    }
}
