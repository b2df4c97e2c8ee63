using System.Net.Http.Json;
using Drover.IntegrationTests.Harness;
using Drover.Lb.Control;

namespace Drover.IntegrationTests.Lb;

/// <summary>A real `drover lb` process (and the HAProxy it starts) against a test cluster, on free ports.</summary>
public sealed class DroverLb : IAsyncDisposable
{
    private readonly Uri _server;
    private readonly string[] _extra;
    private bool _ownsDir = true;

    private DroverLb(Uri server, string[] extra, DroverProcess process, TempDir dir, int httpPort, int statusPort)
    {
        _server = server;
        _extra = extra;
        Process = process;
        Dir = dir;
        HttpPort = httpPort;
        StatusPort = statusPort;
    }

    public DroverProcess Process { get; }
    public TempDir Dir { get; }
    public int HttpPort { get; }
    public int StatusPort { get; }
    public string ConfigPath => Dir.Combine("haproxy.cfg");
    public HaproxyRuntimeSocket Runtime => new(Dir.Combine("admin.sock"));

    public static Task<DroverLb> StartAsync(Uri server, params string[] extra) =>
        StartAsync(server, new TempDir("lb"), FreePort.Get(), FreePort.Get(), extra);

    /// <summary>
    /// A new `drover lb` with the same data dir, ports and id as this one (which must have exited): what an operator's
    /// restart does. The new one owns the data dir from then on.
    /// </summary>
    public Task<DroverLb> RestartAsync()
    {
        if (!Process.HasExited) throw new InvalidOperationException("stop (or kill) this lb before starting another on its data dir");
        _ownsDir = false;
        return StartAsync(_server, Dir, HttpPort, StatusPort, _extra);
    }

    private static async Task<DroverLb> StartAsync(Uri server, TempDir dir, int http, int status, string[] extra)
    {
        var process = DroverProcess.Start(["lb", "--server", server.ToString().TrimEnd('/'), "--data-dir", dir.Path, "--http-port", http.ToString(),
            "--bind-address", "127.0.0.1", "--status-listen", $"127.0.0.1:{status}", "--id", $"test-lb-{http}", .. extra], null);
        var lb = new DroverLb(server, extra, process, dir, http, status);
        try
        {
            await process.WaitForLineAsync("drover lb: ", TimeSpan.FromSeconds(60));
            return lb;
        }
        catch
        {
            await lb.DisposeAsync();
            throw;
        }
    }

    public async Task<LbStatus> StatusAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return (await http.GetFromJsonAsync($"http://127.0.0.1:{StatusPort}/lb/status", LbStatusJsonContext.Default.LbStatus))!;
    }

    /// <summary>The servers of a backend that HAProxy would send new requests to (up, not drained or in maintenance).</summary>
    public async Task<IReadOnlyList<HaproxyServerState>> LiveServersAsync(string backend)
    {
        try { return [.. (await Runtime.ServersStateAsync(backend)).Where(s => s.IsUp)]; }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Net.Sockets.SocketException or FormatException) { return []; }
    }

    /// <summary>SIGTERM (the lb deregisters and stops HAProxy), then whatever is left by PID.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                await Process.KillAsync(UnixSignal.Term);
                await Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
        }
        catch (TimeoutException) { }
        await Process.DisposeAsync();
        if (_ownsDir) Dir.Dispose();
    }
}
