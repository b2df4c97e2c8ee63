using Drover.Api.Agents;
using Drover.Api.Client;

namespace Drover.Agent;

/// <summary>
/// Life cut off from the server: notice it (no answer for a few heartbeat intervals), keep the tasks running and
/// restart those that end (<see cref="Tasks.LocalRestarts"/>), and when the server answers again, report every task
/// before applying any assignment set, so the server adopts what was restarted here instead of this agent killing it.
/// </summary>
public sealed partial class DroverAgent
{
    private static readonly TimeSpan LongCallTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RestartTick = TimeSpan.FromMilliseconds(250);

    private long _lastAnswer;
    private volatile bool _resyncNeeded;
    private bool _cutOffLogged;
    private CancellationTokenSource? _poll;
    private readonly Lock _pollGate = new();

    /// <summary>No answer from the server for <see cref="CutOffAfter"/>: tasks that end are restarted here.</summary>
    public bool IsCutOff => _time.GetElapsedTime(Volatile.Read(ref _lastAnswer)) > CutOffAfter;

    /// <summary>
    /// Three missed heartbeats (at least 2 s): long enough not to mistake a slow answer for a partition. At most a
    /// minute, however long a large cluster's interval: long polls are answered at least every 25 s as well.
    /// </summary>
    private TimeSpan CutOffAfter => TimeSpan.FromTicks(Math.Clamp(3 * HeartbeatPeriod.Ticks, TimeSpan.FromSeconds(2).Ticks, TimeSpan.FromMinutes(1).Ticks));

    private TimeSpan HeartbeatPeriod => _heartbeatInterval > TimeSpan.Zero ? _heartbeatInterval : _options.HeartbeatInterval;

    /// <summary>A heartbeat not answered within this counts as missed (a partition makes requests hang, not fail).</summary>
    private TimeSpan HeartbeatTimeout => TimeSpan.FromTicks(Math.Clamp(3 * HeartbeatPeriod.Ticks, TimeSpan.FromSeconds(3).Ticks, MaxHeartbeatTimeout.Ticks));

    /// <summary>A heartbeat call's limit however long the interval (a large cluster's): a server that hangs is as good as gone.</summary>
    private static readonly TimeSpan MaxHeartbeatTimeout = TimeSpan.FromSeconds(10);

    private void ServerAnswered() => Volatile.Write(ref _lastAnswer, _time.GetTimestamp());

    /// <summary>A request failed: whatever the server sends next may predate what it has not heard from us.</summary>
    private void ServerFailed() => _resyncNeeded = true;

    /// <summary>A deadline for one call: <paramref name="normal"/>, or the heartbeat timeout while cut off.</summary>
    private CancellationTokenSource CallTimeout(CancellationToken ct, TimeSpan normal)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(IsCutOff && normal > HeartbeatTimeout ? HeartbeatTimeout : normal);
        return cts;
    }

    /// <summary>The assignments long poll, cancelled when the agent finds itself cut off.</summary>
    private CancellationTokenSource StartPoll(CancellationToken ct)
    {
        var cts = CallTimeout(ct, _options.AssignmentsWait + TimeSpan.FromSeconds(15));
        lock (_pollGate) _poll = cts;
        return cts;
    }

    private void CancelPoll()
    {
        lock (_pollGate)
        {
            try { _poll?.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Reports every task (a full heartbeat) and only then lets the assignments loop ask for its set again.</summary>
    private async Task ResyncAsync(string id, CancellationToken ct)
    {
        _log.Resyncing();
        _resyncNeeded = false;
        try
        {
            var seq = _reportSequence.Next();
            var snapshot = Tasks.Snapshot();
            using var call = CallTimeout(ct, HeartbeatTimeout);
            var ack = await _client.HeartbeatAsync(id, new AgentHeartbeat { Tasks = snapshot, HeldPorts = ScanHeldPorts(), Run = _reportSequence.Run, Seq = seq }, call.Token).ConfigureAwait(false);
            ServerAnswered();
            if (!ack.Known)
            {
                // registration carries the full report instead
                Reregister();
                return;
            }
            Tasks.Acknowledge(snapshot);
        }
        catch
        {
            _resyncNeeded = true;
            throw;
        }
    }

    private async Task LocalRestartLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RestartTick, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var cutOff = IsCutOff;
            if (cutOff && !_cutOffLogged)
            {
                _cutOffLogged = true;
                _resyncNeeded = true;
                _log.CutOff(_time.GetElapsedTime(Volatile.Read(ref _lastAnswer)).TotalSeconds);
                CancelPoll();
            }
            else if (!cutOff)
            {
                _cutOffLogged = false;
            }
            _restarts.Tick(cutOff);
        }
    }
}
