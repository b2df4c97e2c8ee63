namespace Drover.Core.Discovery;

/// <summary>
/// What a failover name answers right now: the chosen tag (null when no tag of the policy has an
/// answerable instance) and its answerable instances, in catalog order.
/// </summary>
public sealed record FailoverChoice
{
    public required string Service { get; init; }
    public required string Alias { get; init; }
    public string? Tag { get; init; }
    public IReadOnlyList<ServiceInstance> Instances { get; init; } = [];
    /// <summary>When <see cref="Tag"/> was chosen (unchanged while the same tag stays chosen).</summary>
    public DateTimeOffset Since { get; init; }
}

/// <summary>
/// Pure choice of the instances behind a failover name (seed 000 mysql-vip, seed 004 Redis):
/// the best tag of the policy's priority that has at least one answerable instance.
/// No timers and no state of its own: the caller keeps the previous choice and re-resolves on
/// every catalog change, so a failover takes as long as the health change takes to reach the catalog.
/// </summary>
public static class FailoverResolver
{
    /// <summary>The name a policy answers under: its Alias, else "&lt;service&gt;-vip".</summary>
    public static string AliasOf(FailoverPolicy policy) =>
        string.IsNullOrWhiteSpace(policy.Alias) ? policy.Service + "-vip" : policy.Alias;

    /// <summary>
    /// Critical instances are never answerable; warning ones are unless <paramref name="onlyPassing"/>.
    /// </summary>
    public static bool IsAnswerable(ServiceInstance instance, bool onlyPassing) =>
        instance.Health == HealthStatus.Passing || (!onlyPassing && instance.Health == HealthStatus.Warning);

    /// <summary>
    /// Picks the tag for <paramref name="policy"/> among <paramref name="instances"/> (instances of
    /// other services are ignored). With FailBack=false the previous tag is kept while it still has
    /// an answerable instance, even when a better one is back.
    /// </summary>
    public static FailoverChoice Resolve(
        FailoverPolicy policy,
        IEnumerable<ServiceInstance> instances,
        FailoverChoice? previous,
        DateTimeOffset now,
        bool onlyPassing = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(instances);

        var answerable = instances
            .Where(i => string.Equals(i.Service, policy.Service, StringComparison.OrdinalIgnoreCase)
                        && IsAnswerable(i, onlyPassing))
            .ToList();

        string? chosen = null;
        if (!policy.FailBack && previous?.Tag is { } kept
            && policy.TagPriority.Contains(kept, StringComparer.OrdinalIgnoreCase)
            && answerable.Any(i => HasTag(i, kept)))
        {
            chosen = kept;
        }
        else
        {
            chosen = policy.TagPriority.FirstOrDefault(tag => answerable.Any(i => HasTag(i, tag)));
        }

        IReadOnlyList<ServiceInstance> picked = chosen is null ? [] : answerable.Where(i => HasTag(i, chosen)).ToList();
        var unchanged = previous is not null && string.Equals(previous.Tag, chosen, StringComparison.OrdinalIgnoreCase);
        return new FailoverChoice
        {
            Service = policy.Service,
            Alias = AliasOf(policy),
            Tag = chosen,
            Instances = picked,
            Since = unchanged ? previous!.Since : now,
        };
    }

    /// <summary>
    /// Resolves every policy of the snapshot, keyed by service name (case-insensitive).
    /// <paramref name="previous"/> is the result of the last call (or null on the first).
    /// </summary>
    public static IReadOnlyDictionary<string, FailoverChoice> ResolveAll(
        CatalogSnapshot snapshot,
        IReadOnlyDictionary<string, FailoverChoice>? previous,
        DateTimeOffset now,
        bool onlyPassing = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var result = new Dictionary<string, FailoverChoice>(StringComparer.OrdinalIgnoreCase);
        if (snapshot.Failover.Count == 0)
        {
            return result;
        }

        var byService = snapshot.Instances
            .GroupBy(i => i.Service, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ServiceInstance>)g.ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var policy in snapshot.Failover)
        {
            var own = byService.GetValueOrDefault(policy.Service) ?? [];
            FailoverChoice? before = null;
            previous?.TryGetValue(policy.Service, out before);
            // a later duplicate policy for the same service wins, as a later registration would
            result[policy.Service] = Resolve(policy, own, before, now, onlyPassing);
        }

        return result;
    }

    private static bool HasTag(ServiceInstance instance, string tag) =>
        instance.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase);
}
