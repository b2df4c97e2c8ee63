using System.Diagnostics;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;
using Drover.Lb.Haproxy;
using Drover.Lb.Model;
using Drover.Lb.Planning;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// A real HAProxy (master-worker, from a rendered config, on free ports) driven through its runtime API: a server is
/// added without a reload, serves HTTP from a local python http.server, is drained and deleted; "show stat" and
/// "show servers state" tell each step.
/// </summary>
public sealed class HaproxyRuntimeTests
{
    [Fact(Timeout = 120000)]
    public async Task AddDrainDeleteAServerAtRuntime()
    {
        using var dir = new TempDir("lb-rt");
        var (lbPort, appPort) = (FreePort.Get(), FreePort.Get());
        var settings = new HaproxySettings { BindAddress = "127.0.0.1", HttpPort = lbPort, StatsSocket = dir.Combine("admin.sock") };
        var app = new AppDefinition
        {
            Id = "/fib", Cmd = "x", Version = "2024-01-01T00:00:00.000Z",
            PortDefinitions = [new PortDefinition { Port = 0 }],
            Labels = new Dictionary<string, string> { ["HAPROXY_0_PATH"] = "/services/fibonacci", ["HAPROXY_0_PATH_STRIP"] = "true" },
        };
        var empty = DesiredState.Build([app], [], "external", LbConfig.Empty).Config;
        var cfg = dir.Combine("haproxy.cfg");
        await File.WriteAllTextAsync(cfg, ConfigRenderer.Render(empty, settings));
        await File.WriteAllTextAsync(dir.Combine("15"), "610");

        using var web = Start("python3", dir, "-m", "http.server", appPort.ToString(), "--bind", "127.0.0.1");
        using var haproxy = Start("haproxy", dir, "-W", "-db", "-f", cfg);
        try
        {
            var api = new RuntimeApi(settings.StatsSocket);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var url = $"http://127.0.0.1:{lbPort}/services/fibonacci/15";
            await Eventually.AsyncAssert(async () => (await api.ShowStatAsync()).Any(r => r.Proxy == "fib_0"), TimeSpan.FromSeconds(20),
                "haproxy answers on its admin socket", () => Output(haproxy));
            Assert.Equal(503, (int)(await http.GetAsync(url)).StatusCode);

            // Add: a task became healthy; planned as a runtime op, no reload.
            var task = new TaskRecord
            {
                Id = "fib.a1", AppId = "/fib", AgentId = "a", Host = "127.0.0.1", State = TaskState.Running,
                Version = app.Version!, StagedAt = app.Version!, Ports = [appPort],
            };
            var withServer = DesiredState.Build([app], [task], "external", empty).Config;
            var plan = Planner.Plan(empty, withServer);
            Assert.False(plan.NeedsReload);
            foreach (var op in plan.Ops) await api.ApplyAsync(op, withServer.Backend(op.Backend)!, settings);
            Assert.Equal(("fib.a1", ServerState.Ready), (await api.ShowServersStateAsync()).Select(s => (s.Name, s.Admin)).Single());
            var ok = await Eventually.GetAsync(async () => { var r = await http.GetAsync(url); return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null; },
                TimeSpan.FromSeconds(20), "the added server serves through haproxy, prefix stripped", () => Output(haproxy));
            Assert.Equal("610", ok);
            Assert.True((await api.ShowStatAsync()).Single(r => r.Name == "fib.a1").TotalSessions >= 1);

            // Drain: the task is being killed.
            var draining = DesiredState.Build([app], [task with { KillRequested = true }], "external", withServer).Config;
            foreach (var op in Planner.Plan(withServer, draining).Ops) await api.ApplyAsync(op, draining.Backend(op.Backend)!, settings);
            Assert.Equal("DRAIN", (await api.ShowStatAsync()).Single(r => r.Name == "fib.a1").Status);
            Assert.Equal(503, (int)(await http.GetAsync(url)).StatusCode);

            // Delete: the task is gone.
            var gone = DesiredState.Build([app], [], "external", draining).Config;
            foreach (var op in Planner.Plan(draining, gone).Ops) await api.ApplyAsync(op, gone.Backend(op.Backend)!, settings);
            Assert.DoesNotContain(await api.ShowStatAsync(), r => r.Name == "fib.a1");
            Assert.Empty(await api.ShowServersStateAsync());

            // HAProxy's refusals come back naming the command and its answer.
            var e = await Assert.ThrowsAsync<RuntimeApiException>(() => api.SetStateAsync("fib_0", "nope", ServerState.Drain));
            Assert.Equal("haproxy refused 'set server fib_0/nope state drain': No such server.", e.Message);
            e = await Assert.ThrowsAsync<RuntimeApiException>(() => api.AddServerAsync("nope_0", "x", "127.0.0.1:1"));
            Assert.Contains("No such backend", e.Message);
        }
        finally
        {
            Stop(haproxy);
            Stop(web);
        }
    }

    private static Process Start(string file, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (p) Logs.GetOrAdd(p.Id, _ => new()).Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (p) Logs.GetOrAdd(p.Id, _ => new()).Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, List<string>> Logs = new();

    private static string Output(Process p)
    {
        lock (p) return string.Join('\n', Logs.GetValueOrDefault(p.Id) ?? []);
    }

    /// <summary>By PID: the HAProxy master takes its worker down with it on SIGTERM; Kill(true) covers a stuck one.</summary>
    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(10000);
        }
        catch (InvalidOperationException) { }
    }
}
