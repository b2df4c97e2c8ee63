using System.Globalization;
using System.Net.Http.Json;
using Drover.Api;
using Drover.Api.Agents;
using Drover.Api.Marathon;
using Drover.Core.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>The four /internal/agents endpoints of the Drover server, in memory, as documented in AgentProtocol.cs.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AgentRegistration> _agents = [];
    private readonly List<TaskStatusReport> _reports = [];
    private readonly List<AgentRegistration> _registrations = [];
    private List<TaskAssignment> _assignments = [];
    private int _version;
    private int _heartbeats;
    private IReadOnlyList<TaskStatusReport> _lastHeartbeat = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private TestHttpServer _http = null!;

    public Uri BaseUri => _http.BaseUri;
    public int Heartbeats => Volatile.Read(ref _heartbeats);
    public IReadOnlyList<TaskStatusReport> LastHeartbeat { get { lock (_gate) return _lastHeartbeat; } }
    /// <summary>The run and sequence number the last heartbeat carried.</summary>
    public (string? Run, long? Seq) LastHeartbeatStamp { get { lock (_gate) return _lastHeartbeatStamp; } }
    private (string? Run, long? Seq) _lastHeartbeatStamp;
    public IReadOnlyList<TaskStatusReport> Reports { get { lock (_gate) return [.. _reports]; } }
    public IReadOnlyList<AgentRegistration> Registrations { get { lock (_gate) return [.. _registrations]; } }

    public static async Task<FakeServer> StartAsync(int port = 0)
    {
        var server = new FakeServer();
        server._http = await TestHttpServer.StartAsync(app =>
        {
            app.MapPost("/internal/agents/register", (Delegate)server.RegisterAsync);
            app.MapPost("/internal/agents/{id}/heartbeat", server.HeartbeatAsync);
            app.MapPost("/internal/agents/{id}/status", server.StatusAsync);
            app.MapGet("/internal/agents/{id}/assignments", server.AssignmentsAsync);
        }, port);
        return server;
    }

    /// <summary>Replaces the desired task set of every agent (a new fingerprint wakes the long polls).</summary>
    public void Assign(params TaskAssignment[] tasks)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _assignments = [.. tasks];
            _version++;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>Simulates a server that lost its state: every agent is unknown until it registers again.</summary>
    public void ForgetAgents()
    {
        lock (_gate) _agents.Clear();
    }

    public bool HasState(string taskId, string state) => Reports.Any(r => r.TaskId == taskId && r.State == state);

    private async Task<IResult> RegisterAsync(HttpContext c)
    {
        var reg = await c.Request.ReadFromJsonAsync(ApiJsonContext.Default.AgentRegistration);
        if (reg is null) return Results.BadRequest();
        var id = reg.AgentId ?? "agent-" + Guid.NewGuid().ToString("N")[..8];
        lock (_gate)
        {
            _agents[id] = reg;
            _registrations.Add(reg);
        }
        return Results.Json(new AgentRegistered { AgentId = id, HeartbeatIntervalMs = 200 }, ApiJsonContext.Default.AgentRegistered);
    }

    private async Task<IResult> HeartbeatAsync(HttpContext c, string id)
    {
        var hb = await c.Request.ReadFromJsonAsync(ApiJsonContext.Default.AgentHeartbeat);
        bool known;
        lock (_gate)
        {
            known = _agents.ContainsKey(id);
            if (known) (_lastHeartbeat, _lastHeartbeatStamp) = (hb?.Tasks ?? [], (hb?.Run, hb?.Seq));
        }
        Interlocked.Increment(ref _heartbeats);
        return Results.Json(new HeartbeatAck { Known = known }, ApiJsonContext.Default.HeartbeatAck);
    }

    private async Task<IResult> StatusAsync(HttpContext c, string id)
    {
        var reports = await c.Request.ReadFromJsonAsync(ApiJsonContext.Default.ListTaskStatusReport);
        bool known;
        lock (_gate)
        {
            known = _agents.ContainsKey(id);
            if (known) _reports.AddRange(reports ?? []);
        }
        return Results.Json(new HeartbeatAck { Known = known }, ApiJsonContext.Default.HeartbeatAck);
    }

    private async Task<IResult> AssignmentsAsync(HttpContext c, string id, string? fingerprint, string? wait)
    {
        Task changed;
        lock (_gate)
        {
            if (!_agents.ContainsKey(id))
                return Results.Json(new MessageResponse { Message = $"unknown agent {id}" }, ApiJsonContext.Default.MessageResponse, statusCode: 404);
            if (fingerprint != Fingerprint) return Current();
            changed = _changed.Task;
        }
        var ms = int.Parse((wait ?? "0ms").Replace("ms", ""), CultureInfo.InvariantCulture);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted, _stopping.Token);
        try { await changed.WaitAsync(TimeSpan.FromMilliseconds(ms), cts.Token); }
        catch (TimeoutException) { }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { } // answer pending polls so shutdown is quick
        lock (_gate) return Current();
    }

    private string Fingerprint => _version.ToString(CultureInfo.InvariantCulture);

    private IResult Current() =>
        Results.Json(new AgentAssignments { Fingerprint = Fingerprint, Tasks = [.. _assignments] }, ApiJsonContext.Default.AgentAssignments);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync();
        await _http.DisposeAsync();
    }
}
