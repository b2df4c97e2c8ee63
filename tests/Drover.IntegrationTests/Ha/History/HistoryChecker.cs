namespace Drover.IntegrationTests.Ha.History;

/// <summary>
/// Checks a recorded history against the state the cluster converged to, as Jepsen's checkers do: a pure function,
/// history and final state in, the violations found out (empty: the history is consistent). Sound rather than
/// complete: where an indeterminate operation may or may not have taken effect, both are allowed.
/// </summary>
public static class HistoryChecker
{
    public static IReadOnlyList<string> Check(IReadOnlyList<HistoryOp> history, FinalState final)
    {
        var violations = new List<string>();
        CheckApps(history.OfType<AppOp>().ToList(), final, violations);
        CheckCounters(history.OfType<CasIncrement>().ToList(), final, violations);
        CheckTasks(final, violations);
        return violations;
    }

    /// <summary>
    /// Every app is a register. The operation whose effect the app ends with must be one that could have taken effect
    /// last: an acknowledged one that no other acknowledged operation followed in real time (one invoked after it
    /// completed took effect after it), or any indeterminate one (it may land late); with no acknowledged operation at
    /// all, the app may also be as it began (absent). An acknowledged create then is present unless a later delete
    /// could have removed it, and the instances are those of the last acknowledged scale or of a later indeterminate one.
    /// </summary>
    private static void CheckApps(List<AppOp> ops, FinalState final, List<string> violations)
    {
        var ids = ops.Select(o => o.AppId).Concat(final.Apps.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var applied = ops.Where(o => o.AppId == id && o.Outcome != Outcome.Failed).ToList();
            var acknowledged = applied.Where(o => o.Outcome == Outcome.Ok).ToList();
            var couldBeLast = applied.Where(o => o.Outcome == Outcome.Indeterminate || !acknowledged.Any(later => later.Invoked > o.Completed)).ToList();
            int? actual = final.Apps.TryGetValue(id, out var n) ? n : null;
            if (acknowledged.Count == 0 && actual is null) continue; // never created for sure, and absent
            if (couldBeLast.Any(o => o.Effect == actual)) continue;
            var expected = couldBeLast.Select(o => $"{Describe(o.Effect)} after {Describe(o)}").ToList();
            if (acknowledged.Count == 0) expected.Add("absent (nothing acknowledged)");
            violations.Add($"app {id}: {Describe(actual)}, but the write that could have been last leaves it {string.Join(" or ", expected)}");
        }
    }

    /// <summary>
    /// Every successful CAS increments by exactly one (it wrote read + 1 over an unchanged ModifyIndex), so a key ends at
    /// the number of acknowledged increments plus at most the indeterminate ones; fewer is a lost update. Two
    /// acknowledged increments from the same read index, or writing the same value, mean a CAS passed that should not have.
    /// </summary>
    private static void CheckCounters(List<CasIncrement> ops, FinalState final, List<string> violations)
    {
        var keys = ops.Select(o => o.Key).Concat(final.Counters.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var acknowledged = ops.Where(o => o.Key == key && o.Outcome == Outcome.Ok).ToList();
            var indeterminate = ops.Count(o => o.Key == key && o.Outcome == Outcome.Indeterminate);
            var value = final.Counters.GetValueOrDefault(key);
            if (value < acknowledged.Count)
                violations.Add($"counter {key}: lost update: it ends at {value}, but {acknowledged.Count} CAS increments were acknowledged");
            else if (value > acknowledged.Count + indeterminate)
                violations.Add($"counter {key}: it ends at {value}, more than the {acknowledged.Count} acknowledged + {indeterminate} indeterminate CAS increments");
            foreach (var same in acknowledged.GroupBy(o => o.ReadIndex).Where(g => g.Count() > 1))
                violations.Add($"counter {key}: {same.Count()} CAS writes from the same read index {same.Key} were all acknowledged: {string.Join("; ", same.Select(Describe))}");
            foreach (var same in acknowledged.GroupBy(o => o.Written).Where(g => g.Count() > 1))
                violations.Add($"counter {key}: the value {same.Key} was written by {same.Count()} acknowledged CAS increments: {string.Join("; ", same.Select(Describe))}");
        }
    }

    /// <summary>Once converged, no source reports more tasks of an app than it desires (none of an app that is gone), nor one task id twice.</summary>
    private static void CheckTasks(FinalState final, List<string> violations)
    {
        foreach (var source in final.Tasks.GroupBy(t => t.Source))
        {
            foreach (var app in source.GroupBy(t => t.AppId).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var desired = final.Apps.GetValueOrDefault(app.Key);
                if (app.Count() > desired)
                    violations.Add($"{source.Key}: app {app.Key} has {app.Count()} tasks, {desired} desired{(final.Apps.ContainsKey(app.Key) ? "" : " (the app is gone)")}: {string.Join(", ", app.Select(t => t.TaskId))}");
            }
            foreach (var twice in source.GroupBy(t => t.TaskId).Where(g => g.Count() > 1))
                violations.Add($"{source.Key}: task id {twice.Key} appears {twice.Count()} times");
        }
    }

    private static string Describe(int? instances) => instances is { } n ? $"present with {n} instances" : "absent";

    private static string Describe(HistoryOp op) => op switch
    {
        CreateApp c => $"create {c.AppId} ({c.Instances})",
        ScaleApp s => $"scale {s.AppId} to {s.Instances}",
        DeleteApp d => $"delete {d.AppId}",
        CasIncrement c => $"cas {c.Key} {c.ReadValue}→{c.Written} at index {c.ReadIndex}",
        _ => op.GetType().Name,
    } + $" [client {op.Client}, {op.Outcome}, {op.Invoked.TotalSeconds:F3}–{op.Completed.TotalSeconds:F3} s]";
}
