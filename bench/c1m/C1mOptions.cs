using System.Globalization;

namespace Drover.Bench.C1m;

/// <summary>The benchmark's flags. Defaults are the full C1M size on SQLite; a small run (--instances 10000 --agents 100 --apps 100) takes seconds.</summary>
/// <remarks>
/// The server runs with --agent-timeout 60s by default (its own default is 10 s): on a machine shared with other work a
/// simulated agent's heartbeat can wait longer than 10 s for a core, and the server would then replace its tasks,
/// measuring the machine rather than Drover. --agent-timeout 10 gives the server's default.
/// </remarks>
internal sealed record C1mOptions(int Instances, int Agents, int Apps, string Store, string Via, int TimeoutSeconds, int Concurrency, int AgentTimeoutSeconds, int? LaunchesPerPass = null)
{
    public int PerApp => Instances / Apps;

    public static C1mOptions Parse(string[] args)
    {
        var o = new C1mOptions(1_000_000, 10_000, 10_000, "sqlite", "apps", 1800, 64, 60);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{args[i - 1]} needs a positive whole number, not '{args[i]}'");
            o = args[i] switch
            {
                "--instances" => o with { Instances = Int() },
                "--agents" => o with { Agents = Int() },
                "--apps" => o with { Apps = Int() },
                "--store" => o with { Store = Next() },
                "--via" => o with { Via = Next() },
                "--timeout" => o with { TimeoutSeconds = Int() },
                "--concurrency" => o with { Concurrency = Int() },
                "--agent-timeout" => o with { AgentTimeoutSeconds = Int() },
                "--launches-per-pass" => o with { LaunchesPerPass = Int() },
                _ => throw new ArgumentException($"unknown option '{args[i]}' (known: --instances, --agents, --apps, --store sqlite|etcd, --via apps|groups, --timeout SECONDS, --concurrency N, --agent-timeout SECONDS, --launches-per-pass N)"),
            };
        }
        if (o.Store is not ("sqlite" or "etcd")) throw new ArgumentException($"--store '{o.Store}': use sqlite or etcd");
        if (o.Via is not ("apps" or "groups")) throw new ArgumentException($"--via '{o.Via}': use apps (POST /v2/apps per app) or groups (POST /v2/groups, 100 apps a call)");
        if (o.Instances % o.Apps != 0) throw new ArgumentException($"--instances {o.Instances} must be a multiple of --apps {o.Apps}");
        return o;
    }
}
