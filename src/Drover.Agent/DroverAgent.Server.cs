using Drover.Core.Retry;
using System.Net;
using Drover.Api.Agents;
using Drover.Api.Client;
using Drover.Api.Security;

namespace Drover.Agent;

/// <summary>The agent side of the /internal/agents protocol: register, heartbeat, status reports, assignments.</summary>
public sealed partial class DroverAgent
{
    private const int MaxPendingReports = 10_000;

    private readonly SemaphoreSlim _registerLock = new(1, 1);
    private string? _agentId;
    private volatile bool _registered;
    private TimeSpan _heartbeatInterval;
    private string? _advertisedAddress;

    /// <summary>Makes the next loop iteration register again (the server has forgotten this agent).</summary>
    private void Reregister()
    {
        if (!_registered) return;
        _registered = false;
        _log.UnknownToServer(AgentId);
    }

    /// <summary>Registers (again) if needed, retrying with backoff until the server accepts.</summary>
    private async Task<string> EnsureRegisteredAsync(CancellationToken ct)
    {
        if (_registered) return AgentId!;
        await _registerLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var backoff = NewBackoff();
            var refused = new Backoff(_time, TimeSpan.FromSeconds(1), _options.MaxRefusedRetryDelay);
            while (!_registered)
            {
                try
                {
                    var registration = new AgentRegistration
                    {
                        AgentId = AgentId,
                        Hostname = _options.Hostname,
                        Endpoint = Endpoint.ToString().TrimEnd('/'),
                        Address = _advertisedAddress,
                        Resources = Resources,
                        Attributes = _options.Attributes,
                        Drivers = [.. _drivers.Select(d => d.Name)],
                        Tasks = Tasks.Snapshot(),
                        HeldPorts = ScanHeldPorts(),
                    };
                    using var call = CallTimeout(ct, LongCallTimeout);
                    var answer = await _client.RegisterAgentAsync(registration, call.Token).ConfigureAwait(false);
                    ServerAnswered();
                    if (answer.AgentId != AgentId) SaveAgentId(answer.AgentId);
                    Volatile.Write(ref _agentId, answer.AgentId);
                    _heartbeatInterval = answer.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(answer.HeartbeatIntervalMs) : _options.HeartbeatInterval;
                    ConfigureContainerDns(answer.DnsEndpoint);
                    _registered = true;
                    _log.Registered(_servers.Current.ToString(), answer.AgentId);
                    _registeredOnce.TrySetResult(answer.AgentId);
                }
                catch (Exception e) when (IsRefusal(e) && !ct.IsCancellationRequested)
                {
                    // jitter on top of the cap would overshoot it: the cap is what the operator reads in --help
                    var delay = refused.Next();
                    if (delay > _options.MaxRefusedRetryDelay) delay = _options.MaxRefusedRetryDelay;
                    _log.JoinRefused(_servers.Current.ToString(), Describe(e), delay);
                    await refused.DelayAsync(delay, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    ServerFailed();
                    var delay = backoff.Next();
                    _log.RegistrationFailed(_servers.Current.ToString(), Describe(e), delay);
                    await backoff.DelayAsync(delay, ct).ConfigureAwait(false);
                }
            }
            return AgentId!;
        }
        finally
        {
            _registerLock.Release();
        }
    }

    private async Task AssignmentsLoopAsync(CancellationToken ct)
    {
        var backoff = NewBackoff();
        string? fingerprint = null;
        while (!ct.IsCancellationRequested)
        {
            var id = await EnsureRegisteredAsync(ct).ConfigureAwait(false);
            try
            {
                if (_resyncNeeded)
                {
                    await ResyncAsync(id, ct).ConfigureAwait(false);
                    fingerprint = null;
                    continue;
                }
                var asked = _time.GetTimestamp();
                AgentAssignments assignments;
                using (var poll = StartPoll(ct))
                {
                    // cut off, poll briefly: a long poll would hang on the dead connection long after the network is back
                    var wait = IsCutOff ? TimeSpan.FromSeconds(1) : _options.AssignmentsWait;
                    assignments = await _client.GetAssignmentsAsync(id, fingerprint, wait, poll.Token).ConfigureAwait(false);
                }
                ServerAnswered();
                backoff.Reset();
                // Computed across a partition, the set may predate what the server learns from our next full report
                // (tasks restarted here meanwhile): applying it would kill them. Report first, then ask again.
                if (_resyncNeeded) continue;
                if (assignments.Fingerprint == fingerprint)
                {
                    // An unchanged set that came back at once means the server does not long-poll: do not spin.
                    if (_time.GetElapsedTime(asked) < TimeSpan.FromMilliseconds(100))
                        await backoff.DelayAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                    continue;
                }
                _log.AssignmentsApplied(assignments.Tasks.Count, assignments.Fingerprint);
                Tasks.Apply(assignments.Tasks);
                fingerprint = assignments.Fingerprint;
            }
            catch (DroverApiException e) when (e.Status == HttpStatusCode.NotFound || IsRefusal(e))
            {
                Reregister();
                fingerprint = null;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                ServerFailed();
                var delay = backoff.Next();
                _log.AssignmentsFailed(Describe(e), delay);
                await backoff.DelayAsync(delay, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        var backoff = NewBackoff();
        while (!ct.IsCancellationRequested)
        {
            var id = await EnsureRegisteredAsync(ct).ConfigureAwait(false);
            var seq = _reportSequence.Next();
            var snapshot = Tasks.Snapshot();
            var delay = _heartbeatInterval;
            try
            {
                using var call = CallTimeout(ct, HeartbeatTimeout);
                var ack = await _client.HeartbeatAsync(id, new AgentHeartbeat { Tasks = snapshot, HeldPorts = ScanHeldPorts(), Run = _reportSequence.Run, Seq = seq }, call.Token).ConfigureAwait(false);
                ServerAnswered();
                if (backoff.Failing) _log.ServerReachable();
                backoff.Reset();
                if (ack.HeartbeatIntervalMs > 0) delay = _heartbeatInterval = TimeSpan.FromMilliseconds(ack.HeartbeatIntervalMs);
                if (ack.Known) Tasks.Acknowledge(snapshot);
                else Reregister();
            }
            catch (Exception e) when (e is DroverApiException { Status: HttpStatusCode.NotFound } || IsRefusal(e))
            {
                Reregister();
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                // a server that hangs is as good as gone: the next heartbeat tries the next one
                if (e is OperationCanceledException) _servers.MarkFailed(_servers.Current, "heartbeat timed out");
                ServerFailed();
                delay = backoff.Next();
                _log.HeartbeatFailed(Describe(e), delay);
            }
            await backoff.DelayAsync(delay, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Sends status changes as they happen, in batches, retrying (in order) while the server is away.</summary>
    private async Task StatusLoopAsync(CancellationToken ct)
    {
        var reader = _statusQueue.Reader;
        var pending = new List<TaskStatusReport>();
        var backoff = NewBackoff();
        while (!ct.IsCancellationRequested)
        {
            if (pending.Count == 0 && !await reader.WaitToReadAsync(ct).ConfigureAwait(false)) return;
            while (reader.TryRead(out var report)) pending.Add(report);
            // Heartbeats carry every task's current state, so old intermediate updates may go when too many pile up.
            if (pending.Count > MaxPendingReports) pending.RemoveRange(0, pending.Count - MaxPendingReports);
            var id = await EnsureRegisteredAsync(ct).ConfigureAwait(false);
            var batch = pending.ToList();
            try
            {
                using var call = CallTimeout(ct, LongCallTimeout);
                var ack = await _client.ReportStatusAsync(id, batch, call.Token).ConfigureAwait(false);
                ServerAnswered();
                backoff.Reset();
                if (!ack.Known)
                {
                    Reregister();
                    continue;
                }
                pending.RemoveRange(0, batch.Count);
                Tasks.Acknowledge(batch);
            }
            catch (Exception e) when (e is DroverApiException { Status: HttpStatusCode.NotFound } || IsRefusal(e))
            {
                Reregister();
            }
            catch (DroverApiException e) when ((int)e.Status is >= 400 and < 500 && e.Status != HttpStatusCode.RequestTimeout && e.Status != HttpStatusCode.TooManyRequests)
            {
                // Retrying a request the server refuses would block every later update.
                _log.StatusReportRejected(batch.Count, e.ToString());
                pending.RemoveRange(0, batch.Count);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                ServerFailed();
                var delay = backoff.Next();
                _log.StatusReportFailed(batch.Count, Describe(e), delay);
                await backoff.DelayAsync(delay, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The server will not have this agent (401/403: wrong or missing join token, plain HTTP where TLS is required) or
    /// the agent will not have the server (it is not the pinned cluster's): an operator must act, so back off long.
    /// </summary>
    private static bool IsRefusal(Exception e) =>
        e is ServerTrustException || e is DroverApiException { Status: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden };

    /// <summary>Failures worth retrying: server down or erroring, timeouts, bad answers. Not our own shutdown.</summary>
    private static bool IsTransient(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested && e is HttpRequestException or DroverApiException or OperationCanceledException
            or System.Text.Json.JsonException or IOException or NotSupportedException;

    private static string Describe(Exception e) => e switch
    {
        DroverApiException api => api.ToString(),
        OperationCanceledException => "timed out",
        _ => e.Message,
    };

    private string? ReadAgentId()
    {
        try
        {
            var id = File.ReadAllText(AgentIdPath).Trim();
            return id.Length == 0 ? null : id;
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    private void SaveAgentId(string id)
    {
        try
        {
            var tmp = AgentIdPath + ".tmp";
            File.WriteAllText(tmp, id + "\n");
            File.Move(tmp, AgentIdPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.AgentIdNotSaved(AgentIdPath, e.Message);
        }
    }
}
