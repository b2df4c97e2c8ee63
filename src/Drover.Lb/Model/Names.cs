using System.Text;

namespace Drover.Lb.Model;

/// <summary>HAProxy identifiers for Drover's objects: only letters, digits, '-', '_', '.', ':' are allowed there.</summary>
public static class Names
{
    /// <summary>"/prod/web" port 0 → "prod_web_0". App ids hold no '_' (Marathon's id rules), so the mapping is one to one.</summary>
    public static string Backend(string appId, int portIndex) => $"{Clean(appId.Trim('/').Replace('/', '_'))}_{portIndex}";

    /// <summary>The task id, cleaned: stable for the task's life, so runtime operations can address its server.</summary>
    public static string Server(string taskId) => Clean(taskId);

    private static string Clean(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var c in s) b.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' ? c : '_');
        return b.Length == 0 ? "_" : b.ToString();
    }
}
