using Drover.Core.Routing;

namespace Drover.Lb.Model;

/// <summary>A server's administrative state in HAProxy: taking traffic, finishing what it has (drain), or out (maint).</summary>
public enum ServerState { Ready, Drain, Maint }

/// <summary>One task's port as a server of a backend. <see cref="Name"/> is derived from the task id, so it is stable.</summary>
public sealed record LbServer(string Name, string TaskId, string Address, int Port, ServerState State);

/// <summary>A backend: one load-balanced port of one app. Everything but <see cref="Servers"/> is its "shape".</summary>
public sealed record LbBackend
{
    public required string Name { get; init; }
    public required string AppId { get; init; }
    public LbMode Mode { get; init; } = LbMode.Tcp;
    public string Balance { get; init; } = LbLabels.DefaultBalance;
    public bool Sticky { get; init; }
    public string? HttpCheckPath { get; init; }
    /// <summary>The path prefix removed from requests before they reach a server (HAPROXY_{n}_PATH_STRIP).</summary>
    public string? StripPrefix { get; init; }
    public IReadOnlyList<LbServer> Servers { get; init; } = [];

    /// <summary>Same frontend-visible definition, servers aside: a change here needs a reload, a server change does not.</summary>
    public bool SameShape(LbBackend other) =>
        Name == other.Name && AppId == other.AppId && Mode == other.Mode && Balance == other.Balance && Sticky == other.Sticky
        && HttpCheckPath == other.HttpCheckPath && StripPrefix == other.StripPrefix;
}

/// <summary>A rule of the shared HTTP frontend: requests for one of <see cref="Hosts"/> (any host when empty) whose path starts with <see cref="Path"/> (any when null).</summary>
public sealed record HttpRoute(string Backend, IReadOnlyList<string> Hosts, string? Path)
{
    public bool Equals(HttpRoute? other) =>
        other is not null && Backend == other.Backend && Path == other.Path && Hosts.SequenceEqual(other.Hosts);

    public override int GetHashCode() => HashCode.Combine(Backend, Path, Hosts.Count);
}

/// <summary>A listener on an app's service port that sends everything to one backend.</summary>
public sealed record PortListener(int Port, LbMode Mode, string Backend);

/// <summary>Everything HAProxy should serve: the desired state the lb converges to, and the state it believes is applied.</summary>
public sealed record LbConfig
{
    public static readonly LbConfig Empty = new();

    public IReadOnlyList<LbBackend> Backends { get; init; } = [];
    public IReadOnlyList<HttpRoute> HttpRoutes { get; init; } = [];
    public IReadOnlyList<PortListener> Listeners { get; init; } = [];

    public LbBackend? Backend(string name) => Backends.FirstOrDefault(b => b.Name == name);

    /// <summary>Same frontends and backends (servers aside): switching between the two needs no reload.</summary>
    public bool SameShape(LbConfig other) =>
        HttpRoutes.SequenceEqual(other.HttpRoutes) && Listeners.SequenceEqual(other.Listeners)
        && Backends.Count == other.Backends.Count && Backends.Zip(other.Backends).All(p => p.First.SameShape(p.Second));
}
