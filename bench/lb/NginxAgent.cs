using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Drover.Api.Agents;
using Drover.Api.Client;

namespace Drover.Bench.Lb;

/// <summary>
/// A stand-in agent whose tasks are real: each task assigned to it is an nginx (one process, master_process off) on the
/// task's port answering 200 with its task id; a kill is SIGTERM to that PID, as the agent sends, then TASK_KILLED.
/// RUNNING is reported once the port accepts connections, so the lb only ever gets servers that answer.
/// </summary>
public sealed class NginxAgent(DroverClient client, string agentId, string dir) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Process> _running = new();
    private readonly ConcurrentDictionary<string, bool> _finished = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>When each task was reported TASK_RUNNING (Stopwatch timestamp).</summary>
    public ConcurrentDictionary<string, long> ReportedRunning { get; } = new();

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    private async Task LoopAsync(CancellationToken ct)
    {
        string? fingerprint = null;
        while (!ct.IsCancellationRequested)
        {
            AgentAssignments a;
            try { a = await client.GetAssignmentsAsync(agentId, fingerprint, TimeSpan.FromSeconds(5), ct); }
            catch (OperationCanceledException) { return; }
            fingerprint = a.Fingerprint;
            foreach (var t in a.Tasks)
            {
                var id = t.Spec.TaskId;
                if (_finished.ContainsKey(id)) continue;
                if (t.Kill)
                {
                    if (_running.TryRemove(id, out var p)) await StopAsync(p);
                    _finished[id] = true;
                    await client.ReportStatusAsync(agentId, [new TaskStatusReport { TaskId = id, AppId = t.Spec.AppId, State = "TASK_KILLED" }], ct);
                }
                else if (!_running.ContainsKey(id))
                {
                    _running[id] = await StartNginxAsync(id, t.Spec.Ports[0], ct);
                    ReportedRunning[id] = Stopwatch.GetTimestamp();
                    await client.ReportStatusAsync(agentId, [new TaskStatusReport { TaskId = id, AppId = t.Spec.AppId, State = "TASK_RUNNING" }], ct);
                }
            }
        }
    }

    private async Task<Process> StartNginxAsync(string taskId, int port, CancellationToken ct)
    {
        var prefix = Path.Combine(dir, taskId);
        Directory.CreateDirectory(prefix);
        var conf = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            daemon off;
            master_process off;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body; proxy_temp_path {{prefix}}/proxy; fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi; scgi_temp_path {{prefix}}/scgi;
                server { listen 127.0.0.1:{{port}}; location / { return 200 "{{taskId}}\n"; } }
            }
            """, ct);
        var p = Process.Start(new ProcessStartInfo("nginx", ["-c", conf, "-p", prefix]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (true)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync("127.0.0.1", port, ct);
                return p;
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < deadline && !p.HasExited) { await Task.Delay(5, ct); }
        }
    }

    private static async Task StopAsync(Process p)
    {
        if (!p.HasExited) Kill(p.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(); }
        p.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var p in _running.Values) await StopAsync(p);
        _running.Clear();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
