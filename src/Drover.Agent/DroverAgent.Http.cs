using System.Net;
using System.Net.Sockets;
using Drover.Agent.Cgroups;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Agent;

/// <summary>The agent's own HTTP endpoint: /ping, /tasks, /tasks/{id}/logs (proxied by the server), /tasks/{id}/stats.</summary>
public sealed partial class DroverAgent
{
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(200);

    /// <exception cref="ListenAddressInUseException">The listen address is taken.</exception>
    private async Task StartHttpAsync(CancellationToken ct)
    {
        var listen = _options.ListenEndPoint;
        // before the host: a host whose start fails logs the bind error with its stack trace
        ListenProbe.ThrowIfTcpInUse(listen, ListenAddressInUseException.Agent);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DroverAgent).Assembly.GetName().Name });
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        var app = builder.Build();

        app.MapGet("/ping", () => Results.Text("pong\n"));
        app.MapGet("/tasks", () => Results.Json(Tasks.Snapshot().ToList(), ApiJsonContext.Default.ListTaskStatusReport));
        app.MapGet("/tasks/{taskId}/logs", ServeLogsAsync);
        app.MapGet("/tasks/{taskId}/stats", (string taskId) =>
            Tasks.Find(taskId)?.Handle?.ReadUsage() is { } usage
                ? Results.Json(usage, AgentJsonContext.Default.TaskResourceUsage)
                : NotFound($"no resource usage for task '{taskId}' (unknown task, not running, or not in a cgroup)"));

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            // the probe passed, but another program took the port before Kestrel bound it
            if (ListenAddressInUseException.IsAddressInUse(e)) throw new ListenAddressInUseException(listen.ToString(), ListenAddressInUseException.Agent, e);
            throw;
        }
        _web = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("://+", "://localhost", StringComparison.Ordinal)).Port;
        Endpoint = new UriBuilder(Uri.UriSchemeHttp, AdvertisedHost(), port).Uri;
    }

    private string AdvertisedHost()
    {
        if (_options.AdvertiseHost is { } host) return host;
        var address = _options.ListenEndPoint.Address;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return _options.Hostname;
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    private static IResult NotFound(string message) =>
        Results.Json(new MessageResponse { Message = message }, ApiJsonContext.Default.MessageResponse, statusCode: StatusCodes.Status404NotFound);

    /// <summary>
    /// Streams a task's stdout or stderr from <c>offset</c> (negative: that many bytes before the end).
    /// With follow=true it keeps tailing until the task has ended and the file is drained, or the client leaves.
    /// </summary>
    private async Task ServeLogsAsync(HttpContext http, string taskId, string? stream, long? offset, bool? follow)
    {
        stream ??= "stdout";
        if (stream is not ("stdout" or "stderr"))
        {
            await NotFound($"unknown log stream '{stream}' (use stdout or stderr)").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var file = TaskIds.IsSafe(taskId) ? FindLogFile(taskId, stream) : null;
        if (file is null)
        {
            await NotFound($"no logs for task '{taskId}' on this agent").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        var ct = http.RequestAborted;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16384, useAsync: true);
        var start = offset ?? 0;
        input.Position = start >= 0 ? Math.Min(start, input.Length) : Math.Max(0, input.Length + start);
        var buffer = new byte[16384];
        try
        {
            await http.Response.StartAsync(ct).ConfigureAwait(false);
            while (true)
            {
                // Check for the end before reading: whatever a finished task wrote is then read in full.
                var ended = follow != true || Tasks.Find(taskId) is not { IsTerminal: false };
                var n = await input.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (ended) return;
                await Task.Delay(LogPollInterval, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
    }

    private string? FindLogFile(string taskId, string stream)
    {
        var sandbox = Tasks.Find(taskId)?.Sandbox;
        if (sandbox is null)
        {
            // A forgotten task keeps its sandbox (and logs) for a while.
            sandbox = _drivers.Select(d => d.GetSandboxPath(taskId)).FirstOrDefault(Directory.Exists);
        }
        if (sandbox is null) return null;
        var file = Path.Combine(sandbox, stream);
        return File.Exists(file) ? file : null;
    }
}
