using System.Net;
using System.Net.Sockets;
using Drover.Core.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Tests;

/// <summary>A second server on the same data directory or on a taken port fails with one typed error and leaves nothing behind.</summary>
public sealed class StartupConflictTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "drover-server-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private ServerOptions Options(string listen = "127.0.0.1:0", string? dns = null) => new() { Listen = listen, DataDir = _dir, DnsListen = dns };

    private static Task<DroverServer> CreateAsync(ServerOptions options) =>
        DroverServer.CreateAsync(options, b => b.SetMinimumLevel(LogLevel.Warning));

    /// <summary>A TCP port free right now (released before returning).</summary>
    private static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The lock is gone and the database closed: a new server opens the directory, serves, and sees what the old one wrote.</summary>
    private async Task AssertDataDirUsableAsync(string? expectApp = null, string listen = "127.0.0.1:0")
    {
        await using var server = await CreateAsync(Options(listen, dns: "127.0.0.1:0"));
        await server.StartAsync();
        using var client = new Api.Client.DroverClient(server.Url);
        Assert.True(await client.PingAsync());
        if (expectApp is not null) Assert.Equal(expectApp, (await client.GetAppAsync(expectApp)).Id);
        await server.StopAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task A_second_server_on_the_same_data_dir_fails_naming_the_first_which_keeps_working()
    {
        await using var first = await CreateAsync(Options());
        await first.StartAsync();
        using var client = new Api.Client.DroverClient(first.Url);

        var e = await Assert.ThrowsAsync<DataDirLockedException>(() => CreateAsync(Options()));
        Assert.Equal(_dir, e.Directory);
        Assert.Equal(Environment.ProcessId, e.HolderPid);
        Assert.Equal($"data directory {_dir} is in use by another drover process (pid {Environment.ProcessId})", e.Message);

        // the first server still reads and writes its store
        var body = System.Text.Json.JsonDocument.Parse("""{"id":"/kept","cmd":"sleep 1","instances":0}""").RootElement;
        await client.PutAppAsync("/kept", body);
        Assert.Equal("/kept", (await client.GetAppAsync("/kept")).Id);

        await first.StopAsync();
        await first.DisposeAsync();
        await AssertDataDirUsableAsync(expectApp: "/kept");
    }

    [Fact(Timeout = 30000)]
    public async Task A_taken_http_port_fails_start_with_the_address_and_frees_the_data_dir()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var server = await CreateAsync(Options($"127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<ListenAddressInUseException>(() => server.StartAsync());
        Assert.Equal($"127.0.0.1:{port}", e.Address);
        Assert.Equal(ListenAddressInUseException.Http, e.Listener);
        Assert.Equal($"127.0.0.1:{port} (http) is already in use by another program", e.Message);

        await AssertDataDirUsableAsync();
        await server.DisposeAsync(); // the failed start disposed it already: harmless
    }

    [Fact(Timeout = 30000)]
    public async Task A_taken_dns_udp_port_fails_start_stops_everything_and_frees_the_data_dir()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var dnsPort = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        var httpPort = FreeTcpPort();

        await using var server = await CreateAsync(Options($"127.0.0.1:{httpPort}", dns: $"127.0.0.1:{dnsPort}"));
        var e = await Assert.ThrowsAsync<ListenAddressInUseException>(() => server.StartAsync());
        Assert.Equal($"127.0.0.1:{dnsPort}", e.Address);
        Assert.Equal(ListenAddressInUseException.Dns, e.Listener);
        Assert.Equal($"127.0.0.1:{dnsPort} (dns) is already in use by another program", e.Message);

        // nothing kept the HTTP port or the directory: the same ones work for a new server
        await AssertDataDirUsableAsync(listen: $"127.0.0.1:{httpPort}");
    }

    [Fact(Timeout = 30000)]
    public async Task A_taken_dns_tcp_port_fails_start_and_releases_the_udp_port_it_had_bound()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var dnsPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var server = await CreateAsync(Options(dns: $"127.0.0.1:{dnsPort}"));
        var e = await Assert.ThrowsAsync<ListenAddressInUseException>(() => server.StartAsync());
        Assert.Equal($"127.0.0.1:{dnsPort}", e.Address);
        Assert.Equal(ListenAddressInUseException.Dns, e.Listener);

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, dnsPort)); // UDP was bound first, then let go
        await AssertDataDirUsableAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Kestrel_reports_a_taken_port_as_IOException_over_AddressInUseException_over_SocketException()
    {
        // what DroverServer and the agent translate when a port is taken between the probe and Kestrel's bind
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen((IPEndPoint)taken.LocalEndpoint));
        await using var app = builder.Build();

        var e = await Assert.ThrowsAsync<IOException>(() => app.StartAsync());
        var inner = Assert.IsType<Microsoft.AspNetCore.Connections.AddressInUseException>(e.InnerException);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(inner.InnerException).SocketErrorCode);
        Assert.True(ListenAddressInUseException.IsAddressInUse(e));
    }
}
