using Drover.Core.Cluster;

namespace Drover.Core.Resources;

/// <summary>
/// How a task's <c>cpus</c> becomes a kernel (or Docker) cpu setting, decided in one place for every driver.
/// By default <c>cpus</c> is a proportional weight, as Mesos does without <c>--cgroups_enable_cfs</c> and Nomad
/// without <c>cpu_hard_limit</c>: a task may use idle cpu beyond its share, so a <c>cpus: 0.05</c> app starts as
/// fast as it would outside Drover. A hard CFS quota (the task never gets more than <c>cpus</c>) only when the
/// agent runs with <c>--cpu-hard-limit</c> or the app carries the label <c>DROVER_CPU_HARD_LIMIT=true</c>.
/// </summary>
/// <param name="Cpus">The task's cpus (0 = no cpu setting at all).</param>
/// <param name="Hard">True when a CFS quota caps the task at <paramref name="Cpus"/>.</param>
public sealed record CpuLimits(double Cpus, bool Hard)
{
    /// <summary>App label that asks for a hard quota on an agent that does not impose one.</summary>
    public const string HardLimitLabel = "DROVER_CPU_HARD_LIMIT";

    /// <summary>CFS period, the kernel's and Docker's default.</summary>
    public const long PeriodMicros = 100_000;

    /// <summary>cgroup v1 cpu.shares per cpu, Mesos' CPU_SHARES_PER_CPU (and Docker's default of 1024).</summary>
    public const long SharesPerCpu = 1024;

    private const long MinShares = 2, MaxShares = 262_144;
    private const long MinQuotaMicros = 1000; // the kernel refuses a quota below 1 ms

    /// <summary>The setting for <paramref name="spec"/> on an agent with (<paramref name="agentHardLimit"/>) or without a hard limit.</summary>
    public static CpuLimits For(TaskSpec spec, bool agentHardLimit)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var cpus = double.IsFinite(spec.Cpus) && spec.Cpus > 0 ? spec.Cpus : 0;
        return new CpuLimits(cpus, agentHardLimit || LabelAsksHard(spec.Labels));
    }

    /// <summary>True when the labels carry <c>DROVER_CPU_HARD_LIMIT=true</c> (case-insensitive value).</summary>
    public static bool LabelAsksHard(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(HardLimitLabel, out var v) && string.Equals(v.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>False when the task asked for no cpu at all: then nothing is written and the kernel defaults stay.</summary>
    public bool Any => Cpus > 0;

    /// <summary>cgroup v1 cpu.shares (and Docker's CpuShares): cpus × 1024, at least 2 (the kernel's minimum).</summary>
    public long Shares => Math.Clamp((long)(Cpus * SharesPerCpu), MinShares, MaxShares);

    /// <summary>
    /// cgroup v2 cpu.weight (1–10000) converted from <see cref="Shares"/> the way runc and systemd do,
    /// so a task gets the same proportion on v1 and v2 hosts: 1 + (shares − 2) × 9999 / 262142.
    /// </summary>
    public long Weight => 1 + (Shares - MinShares) * 9999 / (MaxShares - MinShares);

    /// <summary>CFS quota per <see cref="PeriodMicros"/> when <see cref="Hard"/>; null when the task is not capped.</summary>
    public long? QuotaMicros => Hard && Any ? Math.Max(MinQuotaMicros, (long)Math.Round(Cpus * PeriodMicros)) : null;
}
