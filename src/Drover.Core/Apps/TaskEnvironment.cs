using System.Text;

namespace Drover.Core.Apps;

/// <summary>The environment Marathon gives a task (PORT0..n, PORTS, PORT_NAME, HOST, MARATHON_*, MESOS_TASK_ID) plus DROVER_* twins.</summary>
public static class TaskEnvironment
{
    public static Dictionary<string, string> Build(AppDefinition app, string taskId, string host, IReadOnlyList<int> hostPorts)
    {
        var env = new Dictionary<string, string>(app.Env, StringComparer.Ordinal);
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
        env["MESOS_TASK_ID"] = taskId;
        env["DROVER_APP_ID"] = app.Id;
        env["DROVER_APP_VERSION"] = app.Version ?? "";
        env["DROVER_TASK_ID"] = taskId;
        env["DROVER_HOST"] = host;
        if (hostPorts.Count > 0) env["DROVER_PORTS"] = env["PORTS"];
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
