using Drover.Server.Leadership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Server.Tests.Ha;

public sealed class LeaderGatedServiceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 30000)]
    public async Task A_real_server_gates_every_leader_only_loop_and_runs_none_of_them_ungated()
    {
        await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0" });
        var hosted = server.Services.GetServices<IHostedService>().ToList();
        var gated = hosted.OfType<LeaderGatedService>().Select(g => g.Inner.GetType().Name).Order().ToList();
        // four gates: AddHostedService would have kept only the first (it de-duplicates by type)
        Assert.Equal(["AgentLivenessRecorder", "DiscoveryJanitor", "ReconcileLoop", "ServiceCheckRunner"], gated);
        Assert.DoesNotContain(hosted, h => h is Discovery.ServiceCheckRunner or Discovery.DiscoveryJanitor or Reconcile.ReconcileLoop or Agents.AgentLivenessRecorder);
    }

    [Fact(Timeout = 20000)]
    public async Task The_inner_service_runs_exactly_during_each_term()
    {
        var leadership = new ScriptedLeadership();
        var inner = new CountingService();
        var gate = new LeaderGatedService(leadership, inner, new LeadershipLog(NullLogger<LeadershipLog>.Instance));
        await gate.StartAsync(CancellationToken.None);
        Assert.Equal(0, inner.Starts); // a follower runs nothing

        var term1 = leadership.BeginTerm();
        await inner.Started.WaitAsync(Deadline);
        Assert.Equal((1, 0), (inner.Starts, inner.Stops));

        var stopped = inner.NextStop();
        term1.Cancel();
        await stopped.WaitAsync(Deadline);
        Assert.Equal((1, 1), (inner.Starts, inner.Stops));

        var started = inner.NextStart();
        var term2 = leadership.BeginTerm();
        await started.WaitAsync(Deadline);
        Assert.Equal((2, 1), (inner.Starts, inner.Stops));

        await gate.StopAsync(CancellationToken.None); // shutting down while leading stops the inner service too
        Assert.Equal((2, 2), (inner.Starts, inner.Stops));
        term2.Dispose();
    }

    private sealed class ScriptedLeadership : ILeadership
    {
        private TaskCompletionSource<CancellationToken> _term = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsLeader => _term.Task.IsCompleted;
        public string? Leader => null;
        public string? NoLeaderCause => "scripted";
        public event Action? TermStarted { add { } remove { } }

        public CancellationTokenSource BeginTerm()
        {
            var cts = new CancellationTokenSource();
            var previous = _term;
            cts.Token.Register(() => _term = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously));
            previous.TrySetResult(cts.Token);
            return cts;
        }

        public Task<CancellationToken> WaitForTermAsync(CancellationToken ct) => _term.Task.WaitAsync(ct);
        public Task<bool> AbdicateAsync(CancellationToken ct) => Task.FromResult(false);
        public Task<IReadOnlyList<string>> PeersAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
    }

    private sealed class CountingService : IHostedService
    {
        private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Starts;
        public int Stops;
        public Task Started => _started.Task;

        public Task NextStart() => (_started = new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        public Task NextStop() => (_stopped = new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public Task StartAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Starts);
            _started.TrySetResult();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Stops);
            _stopped.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
