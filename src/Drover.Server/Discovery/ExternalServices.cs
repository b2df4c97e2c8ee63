using Drover.Core.Discovery;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>Settings of discovery on the server.</summary>
public sealed class DiscoveryOptions
{
    /// <summary>
    /// Script checks (Args/Script) run commands on the server for anyone who can reach its API, so they are off by
    /// default, as in Consul (enable_script_checks). Set DROVER_ENABLE_SCRIPT_CHECKS=true to allow them.
    /// </summary>
    public bool EnableScriptChecks { get; set; } =
        string.Equals(Environment.GetEnvironmentVariable("DROVER_ENABLE_SCRIPT_CHECKS"), "true", StringComparison.OrdinalIgnoreCase)
        || Environment.GetEnvironmentVariable("DROVER_ENABLE_SCRIPT_CHECKS") == "1";
    /// <summary>A check result whose only change is its output is written at most this often (Consul's check_update_interval).</summary>
    public TimeSpan OutputUpdateInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Writes of the Consul agent API: services and checks registered with the server acting as their agent.
/// </summary>
public sealed class ExternalServices(StateWriter writer, DiscoveryOptions options, DiscoveryLog log, TimeProvider time)
{
    /// <summary>Raised after a write that may change a check's status, so the runner reschedules it at once.</summary>
    public event Action<string>? CheckTouched;

    public async Task RegisterAsync(ServiceRegistration reg, bool replaceExistingChecks, CancellationToken ct)
    {
        foreach (var c in reg.Checks) EnsureAllowed(c.Check);
        await writer.UpdateAsync(s =>
        {
            var ops = new List<StateOp> { StateOp.Put(Schema.Services, reg.Service.Id, reg.Service) };
            var newIds = reg.Checks.Select(c => c.Check.CheckId).ToHashSet(StringComparer.Ordinal);
            if (replaceExistingChecks)
            {
                foreach (var old in ChecksOf(s, reg.Service.Id))
                    if (!newIds.Contains(old.CheckId)) ops.Add(StateOp.Delete(Schema.Checks, old.CheckId));
            }
            foreach (var c in reg.Checks) ops.Add(StateOp.Put(Schema.Checks, c.Check.CheckId, Merge(s, c)));
            return ops;
        }, ct);
        log.ServiceRegistered(reg.Service.Id, reg.Service.Name, reg.Checks.Count);
        foreach (var c in reg.Checks) CheckTouched?.Invoke(c.Check.CheckId);
    }

    public async Task RegisterCheckAsync(CheckRegistration reg, CancellationToken ct)
    {
        EnsureAllowed(reg.Check);
        await writer.UpdateAsync(s =>
        {
            if (reg.Check.ServiceId.Length > 0 && s.Entry(Schema.Services.Name, reg.Check.ServiceId) is null)
                throw ConsulException.BadRequest($"ServiceID \"{reg.Check.ServiceId}\" does not exist");
            return [StateOp.Put(Schema.Checks, reg.Check.CheckId, Merge(s, reg))];
        }, ct);
        CheckTouched?.Invoke(reg.Check.CheckId);
    }

    /// <summary>
    /// Re-registering a check of the same type keeps its status and output unless the definition gives a Status, so
    /// re-registering a service to change its tags (a master/slave switch) does not make it critical for a moment.
    /// </summary>
    private static ExternalCheck Merge(StateSnapshot s, CheckRegistration reg)
    {
        var existing = s.Get(Schema.Checks, reg.Check.CheckId);
        if (reg.StatusGiven || existing is null || existing.Definition.Type != reg.Check.Definition.Type) return reg.Check;
        return reg.Check with { Status = existing.Status, Output = existing.Output };
    }

    private void EnsureAllowed(ExternalCheck c)
    {
        if (c.Definition.Type == "script" && !options.EnableScriptChecks)
            throw ConsulException.BadRequest("Scripts are disabled on this server; set DROVER_ENABLE_SCRIPT_CHECKS=true to allow script checks (Args, Script)");
    }

    /// <summary>Removes the service and its checks. An unknown id is a no-op, as Consul's docs say.</summary>
    public async Task<bool> DeregisterAsync(string serviceId, string reason, CancellationToken ct)
    {
        var (_, removed) = await writer.UpdateAsync<bool>(s =>
        {
            if (s.Entry(Schema.Services.Name, serviceId) is null) return ([], false);
            var ops = new List<StateOp> { StateOp.Delete(Schema.Services, serviceId) };
            ops.AddRange(ChecksOf(s, serviceId).Select(c => StateOp.Delete(Schema.Checks, c.CheckId)));
            return (ops, true);
        }, ct);
        if (removed) log.ServiceDeregistered(serviceId, reason);
        return removed;
    }

    public async Task DeregisterCheckAsync(string checkId, CancellationToken ct)
    {
        await writer.UpdateAsync(s => s.Entry(Schema.Checks.Name, checkId) is null
            ? []
            : [StateOp.Delete(Schema.Checks, checkId)], ct);
        CheckTouched?.Invoke(checkId);
    }

    /// <summary>pass/warn/fail of a TTL check (or /check/update): sets status and output; the runner resets the TTL clock.</summary>
    public async Task UpdateTtlAsync(string checkId, HealthStatus status, string output, CancellationToken ct)
    {
        var current = writer.Current.Get(Schema.Checks, checkId)
            ?? throw ConsulException.NotFound($"Unknown check ID \"{checkId}\". Ensure that the check ID is passed, not the check name.");
        if (current.Definition.Type != "ttl") throw ConsulException.BadRequest($"CheckID \"{checkId}\" does not have associated TTL");
        var expires = current.Definition.Ttl is { } ttl ? Core.Json.MarathonTime.ToWire(time.GetUtcNow() + ttl) : null;
        await SetStatusAsync(checkId, current.Generation, status, output, ct, expires);
        CheckTouched?.Invoke(checkId);
    }

    /// <summary>Writes a check's result if it differs from the stored one and the check was not re-registered meanwhile.</summary>
    /// <param name="ttlExpiresAt">A TTL update's new deadline (null keeps the stored one): it too is worth a write, as a new leader reads it.</param>
    public async Task<bool> SetStatusAsync(string checkId, string generation, HealthStatus status, string output, CancellationToken ct,
        string? ttlExpiresAt = null)
    {
        var (_, written) = await writer.UpdateAsync<bool>((s, fx) =>
        {
            var c = s.Get(Schema.Checks, checkId);
            var expires = ttlExpiresAt ?? c?.TtlExpiresAt;
            if (c is null || c.Generation != generation || (c.Status == status && c.Output == output && c.TtlExpiresAt == expires)) return ([], false);
            if (c.Status != status) fx.Add(() => log.CheckStatusChanged(checkId, c.Status.ToWire(), status.ToWire(), output));
            return ([StateOp.Put(Schema.Checks, checkId, c with { Status = status, Output = output, TtlExpiresAt = expires })], true);
        }, ct);
        return written;
    }

    public const string NodeMaintenance = "_node_maintenance";
    public static string ServiceMaintenance(string serviceId) => "_service_maintenance:" + serviceId;

    /// <summary>
    /// Maintenance mode as Consul does it: a critical check (type "maintenance") on the service, or on the server's node
    /// when <paramref name="serviceId"/> is null; disabling removes it. Returns false for an unknown service.
    /// </summary>
    public async Task<bool> SetMaintenanceAsync(string? serviceId, bool enable, string? reason, CancellationToken ct)
    {
        var checkId = serviceId is null ? NodeMaintenance : ServiceMaintenance(serviceId);
        var (_, known) = await writer.UpdateAsync<bool>(s =>
        {
            if (serviceId is not null && s.Entry(Schema.Services.Name, serviceId) is null) return ([], false);
            if (!enable) return (s.Entry(Schema.Checks.Name, checkId) is null ? [] : [StateOp.Delete(Schema.Checks, checkId)], true);
            var check = new ExternalCheck
            {
                CheckId = checkId,
                Name = serviceId is null ? "Node Maintenance Mode" : "Service Maintenance Mode",
                ServiceId = serviceId ?? "",
                Notes = string.IsNullOrEmpty(reason) ? "Maintenance mode is enabled for this " + (serviceId is null ? "node." : "service.") : reason,
                Status = HealthStatus.Critical,
                Definition = new CheckDefinition { Type = MaintenanceType },
                Generation = Guid.NewGuid().ToString("N"),
            };
            return ([StateOp.Put(Schema.Checks, checkId, check)], true);
        }, ct);
        return known;
    }

    /// <summary>The type of maintenance checks: nothing runs them.</summary>
    public const string MaintenanceType = "maintenance";

    private static IEnumerable<ExternalCheck> ChecksOf(StateSnapshot s, string serviceId) =>
        s.All(Schema.Checks).Where(c => c.ServiceId == serviceId);
}
