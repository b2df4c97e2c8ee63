namespace Drover.IntegrationTests.Harness;

/// <summary>
/// Runs Debian's /usr/bin/python3 (the interpreter that sees python3-marathon and python3-consul,
/// regardless of any pyenv on PATH) — used to test Drover against real third-party API clients.
/// </summary>
public static class PythonClient
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Directory holding the scripts from tests/Drover.IntegrationTests/python/ (copied to the output).</summary>
    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "python");

    /// <summary>
    /// Runs a script with arguments. <paramref name="script"/> is either the name of a file in
    /// <see cref="ScriptDirectory"/> ending in <c>.py</c> (e.g. "marathon_client_check.py") or Python source code.
    /// </summary>
    public static Task<ProcessResult> RunAsync(string script, params string[] args) =>
        RunAsync(script, DefaultTimeout, args);

    public static Task<ProcessResult> RunAsync(string script, TimeSpan timeout, params string[] args)
    {
        string[] argv;
        if (IsScriptFileName(script))
        {
            var path = Path.Combine(ScriptDirectory, script);
            if (!File.Exists(path)) throw new FileNotFoundException($"python script not found: {path}", path);
            argv = [path, .. args];
        }
        else
        {
            argv = ["-c", script, .. args];
        }

        var env = new Dictionary<string, string?>
        {
            ["PYTHONUNBUFFERED"] = "1",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            ["PYTHONNOUSERSITE"] = "1",
            ["PYTHONPATH"] = null,
            ["PYTHONHOME"] = null,
        };
        return ProcessRunner.RunAsync(Interpreter, ["-u", .. argv], timeout, env);
    }

    private static bool IsScriptFileName(string script) =>
        script.EndsWith(".py", StringComparison.Ordinal) && script.IndexOfAny(['\n', ' ', '(', ';']) < 0;
}
