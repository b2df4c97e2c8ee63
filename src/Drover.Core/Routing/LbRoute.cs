namespace Drover.Core.Routing;

/// <summary>How HAProxy proxies one port of an app: HTTP (host/path routing, cookies) or plain TCP.</summary>
public enum LbMode { Http, Tcp }

/// <summary>
/// One load-balanced port of an app (port index n of its portDefinitions or portMappings), as the HAPROXY_{n}_* labels
/// describe it. <see cref="ServicePort"/> is the port's service port (0 = none): the lb listens on it for this route
/// alone. Routes with <see cref="VHosts"/> or a <see cref="Path"/> are also served by the lb's shared HTTP frontend.
/// </summary>
public sealed record LbRoute
{
    public required int PortIndex { get; init; }
    public int ServicePort { get; init; }
    public LbMode Mode { get; init; } = LbMode.Tcp;
    public IReadOnlyList<string> VHosts { get; init; } = [];
    public string? Path { get; init; }
    /// <summary>Drover extension (HAPROXY_{n}_PATH_STRIP): remove <see cref="Path"/> from the request before it reaches the app.</summary>
    public bool StripPath { get; init; }
    public string Balance { get; init; } = LbLabels.DefaultBalance;
    /// <summary>Cookie-based stickiness (HTTP only).</summary>
    public bool Sticky { get; init; }
    /// <summary>Drover extension (HAPROXY_{n}_HTTP_CHECK_PATH): HAProxy itself also checks servers with GET on this path.</summary>
    public string? HttpCheckPath { get; init; }

    /// <summary>Routed through the shared HTTP frontend (by host and/or path prefix).</summary>
    public bool IsHttpRouted => Mode == LbMode.Http && (VHosts.Count > 0 || Path is not null);
}

/// <summary>A label value Drover refuses, with the label's name (e.g. HAPROXY_0_MODE).</summary>
public sealed record LbProblem(string Label, string Message)
{
    public override string ToString() => $"{Label}: {Message}";
}

/// <summary>What an app's HAPROXY_* labels say: the lb groups that serve it, its routes, and what is wrong with them.</summary>
public sealed record LbLabelsResult(IReadOnlyList<string> Groups, IReadOnlyList<LbRoute> Routes, IReadOnlyList<LbProblem> Problems)
{
    /// <summary>Served by an lb of <paramref name="group"/>; an lb of group "*" serves every group (marathon-lb does the same).</summary>
    public bool InGroup(string group) => group == "*" || Groups.Contains(group, StringComparer.Ordinal);
}
