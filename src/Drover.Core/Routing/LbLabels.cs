using System.Text.RegularExpressions;
using Drover.Core.Apps;

namespace Drover.Core.Routing;

/// <summary>
/// Reads marathon-lb's routing labels (mesosphere/marathon-lb, Longhelp.md "Marathon labels"): HAPROXY_GROUP (default
/// "external"; comma-separated for several), and per port index n: HAPROXY_{n}_VHOST (comma-separated host names),
/// HAPROXY_{n}_PATH (path prefix), HAPROXY_{n}_MODE (http|tcp; like marathon-lb, http when a vhost or path is set,
/// else tcp), HAPROXY_{n}_BALANCE, HAPROXY_{n}_STICKY (true = cookie-based). Drover extensions in the same style:
/// HAPROXY_{n}_PATH_STRIP=true (remove the prefix before the request reaches the app) and HAPROXY_{n}_HTTP_CHECK_PATH
/// (HAProxy also checks servers with GET on that path). Other HAPROXY_* labels (marathon-lb's templates, SSL options)
/// are left alone, so apps written for marathon-lb still submit. Pure: used by the server to refuse bad values (422)
/// and by the lb to build its routes.
/// </summary>
public static partial class LbLabels
{
    public const string GroupLabel = "HAPROXY_GROUP";
    public const string DefaultGroup = "external";
    public const string DefaultBalance = "roundrobin";

    /// <summary>
    /// Only algorithms that take servers added at runtime (HAProxy 2.6 refuses "add server" on a backend with a static
    /// algorithm such as static-rr or a map-based hash); "source" is rendered with consistent hashing for that reason.
    /// </summary>
    public static readonly IReadOnlyList<string> Balances = ["roundrobin", "leastconn", "source", "first", "random"];

    private static readonly string[] Keys = ["VHOST", "PATH", "PATH_STRIP", "MODE", "BALANCE", "STICKY", "HTTP_CHECK_PATH"];

    [GeneratedRegex(@"^HAPROXY_(\d+)_([A-Z_]+)$")]
    private static partial Regex PortLabel();

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex GroupName();

    // Written into HAProxy ACLs and a regsub() argument: unreserved URL characters, '%' escapes and '/' only, so
    // nothing in it can end a config word or an argument list.
    [GeneratedRegex(@"^/[A-Za-z0-9\-._~%/]*$")]
    private static partial Regex PathPrefix();

    public static LbLabelsResult Parse(AppDefinition app)
    {
        var problems = new List<LbProblem>();
        var groups = ParseGroups(app, problems);
        var ports = ServicePorts(app);
        var byIndex = new SortedDictionary<int, Dictionary<string, string>>();
        foreach (var (key, value) in app.Labels)
        {
            var m = PortLabel().Match(key);
            if (!m.Success || !Keys.Contains(m.Groups[2].Value)) continue;
            if (!int.TryParse(m.Groups[1].ValueSpan, out var n) || n >= ports.Count)
            {
                problems.Add(new(key, ports.Count == 1 ? $"the app has 1 port; port index {m.Groups[1].Value} does not exist"
                    : $"the app has {ports.Count} ports; port index {m.Groups[1].Value} does not exist"));
                continue;
            }
            if (!byIndex.TryGetValue(n, out var set)) byIndex[n] = set = [];
            set[m.Groups[2].Value] = value;
        }
        var routes = new List<LbRoute>(ports.Count);
        for (var i = 0; i < ports.Count; i++)
            routes.Add(ParseRoute(i, ports[i], byIndex.GetValueOrDefault(i) ?? [], problems));
        return new LbLabelsResult(groups, routes, problems);
    }

    /// <summary>Each port's service port, indexed like the labels: portMappings[n].servicePort on BRIDGE/USER networks, else portDefinitions[n].port.</summary>
    public static IReadOnlyList<int> ServicePorts(AppDefinition app)
    {
        if (UsesMappings(app))
            return [.. (app.Container?.PortMappings ?? app.Container?.Docker?.PortMappings ?? []).Select(m => m.ServicePort)];
        return [.. app.PortDefinitions.Select(p => p.Port)];
    }

    private static bool UsesMappings(AppDefinition app) =>
        app.Container?.Docker?.Network is "BRIDGE" or "USER"
        || app.Networks?.Any(n => n.Mode is "container/bridge" or "container") == true;

    private static List<string> ParseGroups(AppDefinition app, List<LbProblem> problems)
    {
        if (!app.Labels.TryGetValue(GroupLabel, out var raw)) return [DefaultGroup];
        var groups = raw.Split(',', StringSplitOptions.TrimEntries);
        foreach (var g in groups)
        {
            if (!GroupName().IsMatch(g))
            {
                problems.Add(new(GroupLabel, $"'{g}' is not a group name (letters, digits, '-', '_', '.'; several separated by commas)"));
                return [DefaultGroup];
            }
        }
        return [.. groups.Distinct(StringComparer.Ordinal)];
    }

    private static LbRoute ParseRoute(int n, int servicePort, Dictionary<string, string> v, List<LbProblem> problems)
    {
        string L(string key) => $"HAPROXY_{n}_{key}";
        var route = new LbRoute { PortIndex = n, ServicePort = servicePort };

        if (v.TryGetValue("VHOST", out var vhost))
        {
            var hosts = vhost.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var bad = hosts.FirstOrDefault(h => h.Length > 253 || !HostName().IsMatch(h));
            if (hosts.Length == 0) problems.Add(new(L("VHOST"), "must name at least one host"));
            else if (bad is not null) problems.Add(new(L("VHOST"), $"'{bad}' is not a valid host name"));
            else route = route with { VHosts = [.. hosts.Select(h => h.ToLowerInvariant()).Distinct()] };
        }
        if (v.TryGetValue("PATH", out var path))
        {
            if (!path.StartsWith('/')) problems.Add(new(L("PATH"), $"must start with '/', got '{path}'"));
            else if (!PathPrefix().IsMatch(path)) problems.Add(new(L("PATH"), $"'{path}' has characters a URL path cannot hold unescaped"));
            // "/a/" and "/a" route the same requests; keep the form without the trailing slash (except "/").
            else route = route with { Path = path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } t ? t : "/" : path };
        }
        if (v.TryGetValue("PATH_STRIP", out var strip) && Bool(L("PATH_STRIP"), strip, problems) is { } s)
        {
            if (s && !v.ContainsKey("PATH")) problems.Add(new(L("PATH_STRIP"), $"needs {L("PATH")} (the prefix to strip)"));
            route = route with { StripPath = s };
        }
        var mode = route.VHosts.Count > 0 || route.Path is not null ? LbMode.Http : LbMode.Tcp;
        if (v.TryGetValue("MODE", out var modeText))
        {
            if (modeText.Equals("http", StringComparison.OrdinalIgnoreCase)) mode = LbMode.Http;
            else if (modeText.Equals("tcp", StringComparison.OrdinalIgnoreCase))
            {
                mode = LbMode.Tcp;
                if (v.ContainsKey("VHOST") || v.ContainsKey("PATH"))
                    problems.Add(new(L("MODE"), $"tcp cannot route by {L("VHOST")} or {L("PATH")}; use http"));
            }
            else problems.Add(new(L("MODE"), $"must be http or tcp, got '{modeText}'"));
        }
        route = route with { Mode = mode };
        if (v.TryGetValue("BALANCE", out var balance))
        {
            if (Balances.Contains(balance)) route = route with { Balance = balance };
            else problems.Add(new(L("BALANCE"), $"must be one of {string.Join(", ", Balances)}, got '{balance}'"));
        }
        if (v.TryGetValue("STICKY", out var sticky) && Bool(L("STICKY"), sticky, problems) is { } st)
        {
            if (st && mode != LbMode.Http) problems.Add(new(L("STICKY"), $"cookie stickiness needs HTTP; set {L("MODE")}=http"));
            route = route with { Sticky = st };
        }
        if (v.TryGetValue("HTTP_CHECK_PATH", out var check))
        {
            if (!check.StartsWith('/') || !PathPrefix().IsMatch(check)) problems.Add(new(L("HTTP_CHECK_PATH"), $"must be a URL path starting with '/', got '{check}'"));
            else if (mode != LbMode.Http) problems.Add(new(L("HTTP_CHECK_PATH"), $"HTTP checks need HTTP; set {L("MODE")}=http"));
            else route = route with { HttpCheckPath = check };
        }
        return route;
    }

    private static bool? Bool(string label, string value, List<LbProblem> problems)
    {
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        problems.Add(new(label, $"must be true or false, got '{value}'"));
        return null;
    }
}
