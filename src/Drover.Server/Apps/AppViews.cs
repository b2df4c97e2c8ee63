using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Apps;

/// <summary>Builds Marathon's read shapes (AppInfo, task JSON) from one snapshot.</summary>
public sealed class AppViews(StateSnapshot snapshot)
{
    private Dictionary<string, List<TaskRecord>>? _tasksByApp;
    private readonly Dictionary<string, IReadOnlyList<TaskIpAddress>?> _addressByAgent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<int>?> _servicePortsByApp = new(StringComparer.Ordinal);

    public StateSnapshot Snapshot => snapshot;

    public IReadOnlyList<TaskRecord> TasksOf(string appId)
    {
        _tasksByApp ??= new Dictionary<string, List<TaskRecord>>(StringComparer.Ordinal);
        if (!_tasksByApp.TryGetValue(appId, out var l)) _tasksByApp[appId] = l = TaskIndex.OfApp(snapshot, appId).ToList();
        return l;
    }

    public AppInfo Info(AppDefinition app, bool withTasks, bool withFailure)
    {
        var tasks = TasksOf(app.Id);
        int staged = 0, running = 0, healthy = 0, unhealthy = 0;
        foreach (var t in tasks)
        {
            if (t.State is TaskState.Staging or TaskState.Starting) staged++;
            else if (t.State == TaskState.Running) running++;
            if (app.HealthChecks.Count > 0 && t.HealthCheckResults.Count > 0)
            {
                if (t.HealthCheckResults.All(r => r.Alive)) healthy++;
                else unhealthy++;
            }
        }
        TaskFailure? failure = null;
        if (withFailure && snapshot.Get(Schema.TaskFailures, app.Id) is { } f)
        {
            failure = new TaskFailure
            {
                AppId = f.AppId, TaskId = f.TaskId, Host = f.Host, SlaveId = f.AgentId,
                Message = f.Message, State = f.State, Timestamp = f.Timestamp, Version = f.Version,
            };
        }
        return new AppInfo(app)
        {
            TasksStaged = staged,
            TasksRunning = running,
            TasksHealthy = healthy,
            TasksUnhealthy = unhealthy,
            Deployments = Deployments.DeploymentService.RefsFor(snapshot, app.Id),
            Tasks = withTasks ? tasks.Select(t => Task(t, app)).ToList() : null,
            LastTaskFailure = failure,
            ReadinessCheckResults = app.ReadinessChecks.Count == 0 || !tasks.Any(t => t.ReadinessCheckResults.Count > 0) ? null
                : [.. tasks.SelectMany(t => t.ReadinessCheckResults)],
        };
    }

    public MarathonTask Task(TaskRecord t, AppDefinition? app = null)
    {
        app ??= snapshot.Get(Schema.Apps, t.AppId);
        return new MarathonTask
        {
            Id = t.Id,
            AppId = t.AppId,
            Host = t.Host,
            SlaveId = t.AgentId,
            State = t.State.ToWire(),
            StagedAt = t.StagedAt,
            StartedAt = t.StartedAt,
            Version = t.Version,
            Ports = t.Ports,
            ServicePorts = ServicePorts(app),
            IpAddresses = Addresses(t.AgentId),
            HealthCheckResults = t.HealthCheckResults.Count == 0 ? null : t.HealthCheckResults.Select(r => new HealthCheckResultWire
            {
                Alive = r.Alive,
                ConsecutiveFailures = r.ConsecutiveFailures,
                FirstSuccess = r.FirstSuccess,
                LastFailure = r.LastFailure,
                LastSuccess = r.LastSuccess,
                LastFailureCause = r.LastFailureCause,
                TaskId = t.Id,
            }).ToList(),
        };
    }

    private IReadOnlyList<int>? ServicePorts(AppDefinition? app)
    {
        if (app is not { PortDefinitions.Count: > 0 }) return null;
        if (!_servicePortsByApp.TryGetValue(app.Id, out var ports))
            _servicePortsByApp[app.Id] = ports = app.PortDefinitions.Select(p => p.Port).ToList();
        return ports;
    }

    private IReadOnlyList<TaskIpAddress>? Addresses(string agentId)
    {
        if (!_addressByAgent.TryGetValue(agentId, out var list))
            _addressByAgent[agentId] = list = AgentAddress(agentId) is { } ip ? [new TaskIpAddress { IpAddress = ip }] : null;
        return list;
    }

    private string? AgentAddress(string agentId) => snapshot.Get(Schema.Agents, agentId)?.IpAddress();
}
