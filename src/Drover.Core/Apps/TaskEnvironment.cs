using System.Text;

namespace Drover.Core.Apps;

/// <summary>The environment Marathon gives a task (PORT0..n, PORTS, PORT_NAME, HOST, MARATHON_*, MESOS_TASK_ID) plus DROVER_* twins.</summary>
public static class TaskEnvironment
{
    public static Dictionary<string, string> Build(AppDefinition app, string taskId, string host, IReadOnlyList<int> hostPorts)
    {
        // the app's part is the same for each of its tasks: made once per definition (an agent's answer lists every task)
        var env = new Dictionary<string, string>(OfApp.GetValue(app, AppPart), StringComparer.Ordinal);
        for (var i = 0; i < hostPorts.Count; i++)
        {
            env[$"PORT{i}"] = hostPorts[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (i < app.PortDefinitions.Count && app.PortDefinitions[i].Name is { Length: > 0 } name)
                env[$"PORT_{EnvName(name)}"] = env[$"PORT{i}"];
            if (i < app.PortDefinitions.Count && app.PortDefinitions[i].Port != 0)
                env[$"PORT_{app.PortDefinitions[i].Port}"] = env[$"PORT{i}"];
        }
        if (hostPorts.Count > 0)
        {
            env["PORT"] = env["PORT0"];
            env["PORTS"] = string.Join(',', hostPorts);
        }
        env["HOST"] = host;
        env["MESOS_TASK_ID"] = taskId;
        env["DROVER_TASK_ID"] = taskId;
        env["DROVER_HOST"] = host;
        if (hostPorts.Count > 0) env["DROVER_PORTS"] = env["PORTS"];
        return env;
    }

    /// <summary>The app part of each app definition's environment (definitions are immutable; an entry goes with its definition).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AppDefinition, Dictionary<string, string>> OfApp = new();

    /// <summary>The user's env, overridden by MARATHON_* and DROVER_APP_* (no port, host or task variable has those names).</summary>
    private static Dictionary<string, string> AppPart(AppDefinition app)
    {
        var env = new Dictionary<string, string>(app.Env, StringComparer.Ordinal);
        env["MARATHON_APP_ID"] = app.Id;
        env["MARATHON_APP_VERSION"] = app.Version ?? "";
        env["MARATHON_APP_RESOURCE_CPUS"] = app.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MARATHON_APP_RESOURCE_MEM"] = app.Mem.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MARATHON_APP_RESOURCE_DISK"] = app.Disk.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MARATHON_APP_LABELS"] = string.Join(' ', app.Labels.Keys.Select(EnvName));
        foreach (var (k, v) in app.Labels)
        {
            if (v.Length <= 512) env[$"MARATHON_APP_LABEL_{EnvName(k)}"] = v;
        }
        env["DROVER_APP_ID"] = app.Id;
        env["DROVER_APP_VERSION"] = app.Version ?? "";
        return env;
    }

    /// <summary>Uppercase, non-alphanumerics as '_' (Marathon's label and port-name rule).</summary>
    public static string EnvName(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return sb.ToString();
    }

    public static string NewTaskId(string appId) =>
        $"{PathId.Safe(appId)}.instance-{Guid.NewGuid():D}._app.1";
}
