using Drover.Agent.Tests.Infrastructure;
using Drover.Lb.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Lb.Tests;

/// <summary>The supervisor's decisions and timing, against a scripted HAProxy and fake time.</summary>
public sealed class HaproxySupervisorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-sup-").FullName;
    private readonly ManualTimeProvider _time = new();
    private readonly FakeHost _host = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HaproxySupervisor Supervisor() => new(_host, Path.Combine(_dir, "haproxy.cfg"), _time, NullLogger.Instance)
    {
        ReloadTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact(Timeout = 10000)]
    public async Task AnInvalidConfigKeepsTheOldFileAndSendsNoReload()
    {
        var sup = Supervisor();
        await sup.StartAsync("good", CancellationToken.None);
        _host.Invalid = "[ALERT] parsing [haproxy.cfg:3]: unknown keyword 'bogus'";

        var outcome = await sup.ApplyAsync("bogus", CancellationToken.None);

        Assert.Equal(ReloadResult.Invalid, outcome.Result);
        Assert.Contains("unknown keyword 'bogus'", outcome.Error);
        Assert.Equal("good", await File.ReadAllTextAsync(sup.ConfigPath));
        Assert.False(File.Exists(sup.ConfigPath + ".new"));
        Assert.Equal(0, _host.ReloadsSent);
        Assert.Equal("good", sup.RunningConfig);
    }

    [Fact(Timeout = 10000)]
    public async Task AReloadIsConfirmedByTheMastersReloadCounter()
    {
        var sup = Supervisor();
        await sup.StartAsync("one", CancellationToken.None);

        var outcome = await sup.ApplyAsync("two", CancellationToken.None);

        Assert.Equal(ReloadResult.Reloaded, outcome.Result);
        Assert.Equal("two", await File.ReadAllTextAsync(sup.ConfigPath));
        Assert.Equal("two", sup.RunningConfig);
        Assert.Equal(1, _host.ReloadsSent);
    }

    [Fact(Timeout = 10000)]
    public async Task AFailedLoadRestoresTheFileHaproxyStillRuns()
    {
        var sup = Supervisor();
        await sup.StartAsync("one", CancellationToken.None);
        _host.FailLoads = true;

        var outcome = await sup.ApplyAsync("two", CancellationToken.None);

        Assert.Equal(ReloadResult.Failed, outcome.Result);
        Assert.Equal("one", await File.ReadAllTextAsync(sup.ConfigPath));
        Assert.Equal("one", sup.RunningConfig);
    }

    [Fact(Timeout = 10000)]
    public async Task AHungReloadTimesOutAndDoesNotBlockTheNextUpdate()
    {
        var sup = Supervisor();
        await sup.StartAsync("one", CancellationToken.None);
        _host.Hang = true;

        var hung = sup.ApplyAsync("two", CancellationToken.None);
        await _host.ReloadArrived.Task.WaitAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(hung.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await hung.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(ReloadResult.TimedOut, outcome.Result);
        Assert.Contains("within 10s", outcome.Error);
        Assert.Null(sup.RunningConfig);

        _host.Hang = false;
        var next = await sup.ApplyAsync("three", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ReloadResult.Reloaded, next.Result);
        Assert.Equal("three", sup.RunningConfig);
    }

    [Fact(Timeout = 10000)]
    public async Task AMasterThatNeverShowsAWorkerFailsTheStartAfterTheTimeout()
    {
        _host.NoWorker = true;
        var sup = Supervisor();
        var start = sup.StartAsync("one", CancellationToken.None);
        await _host.ShowProcArrived.Task.WaitAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(15));
        var e = await Assert.ThrowsAsync<TimeoutException>(() => start.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("no worker within 15s", e.Message);
    }

    private sealed class FakeHost : IHaproxyHost
    {
        private int _reloads, _failed;

        public string? Invalid { get; set; }
        public bool Hang { get; set; }
        public bool FailLoads { get; set; }
        public bool NoWorker { get; set; }
        public int ReloadsSent { get; private set; }
        public TaskCompletionSource ReloadArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource ShowProcArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string? ExitReason => null;

        public Task<ConfigCheck> CheckAsync(string configPath, CancellationToken ct) =>
            Task.FromResult(Invalid is { } why ? new ConfigCheck(false, why) : new ConfigCheck(true, ""));

        public Task StartAsync(string configPath, CancellationToken ct) => Task.CompletedTask;

        public async Task<string> MasterCommandAsync(string command, CancellationToken ct)
        {
            if (command == "reload")
            {
                ReloadsSent++;
                ReloadArrived.TrySetResult();
                if (Hang) await Task.Delay(Timeout.Infinite, ct);
                if (FailLoads) _failed++; else _reloads++;
                return "";
            }
            ShowProcArrived.TrySetResult();
            var worker = NoWorker ? "" : "200 worker 0 0d00h00m01s 2.6.12\n";
            return $"#<PID> <type> <reloads> <uptime> <version>\n100 master {_reloads} [failed: {_failed}] 0d00h00m02s 2.6.12\n# workers\n{worker}# programs\n";
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
