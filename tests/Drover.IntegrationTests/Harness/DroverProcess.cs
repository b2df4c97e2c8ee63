using System.Diagnostics;
using System.Text;

namespace Drover.IntegrationTests.Harness;

/// <summary>One line a child process wrote, in arrival order.</summary>
public sealed record OutputLine(DateTimeOffset At, bool IsStderr, string Text)
{
    public override string ToString() => $"{At:HH:mm:ss.fff} {(IsStderr ? "err" : "out")}| {Text}";
}

/// <summary>Options for <see cref="DroverProcess.StartExecutable"/>.</summary>
public sealed record ProcessOptions
{
    /// <summary>Label used in diagnostics; defaults to the executable's file name.</summary>
    public string? Name { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (a null value removes the variable) on top of the test's environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }
}

/// <summary>
/// A long-running child process — usually the real <c>drover</c> binary (server, agent, …), but any
/// executable works. Captures stdout/stderr lines for diagnostics and for <see cref="WaitForLineAsync"/>,
/// and is only ever signalled by its own PID (never by name).
/// </summary>
/// <remarks>
/// The CLI is located as <c>drover.dll</c> next to the test assembly: the test project references
/// Drover.Cli, so the build copies drover.dll, drover.runtimeconfig.json and drover.deps.json into the
/// test output directory; it is started as <c>dotnet drover.dll …</c>.
/// </remarks>
public sealed class DroverProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitWaitAfterKill = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<OutputLine> _lines = [];
    private readonly List<LineWaiter> _waiters = [];
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _streamsClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2;
    private bool _outputFinished;

    private DroverProcess(Process process, string name, string commandLine)
    {
        _process = process;
        Name = name;
        CommandLine = commandLine;
    }

    /// <summary>Full path of the CLI assembly that <see cref="Start"/> runs.</summary>
    public static string CliDllPath => Path.Combine(AppContext.BaseDirectory, "drover.dll");

    public string Name { get; }

    public string CommandLine { get; }

    public int Pid { get; private set; }

    /// <summary>For servers started through <see cref="StartServerAsync"/>: http://127.0.0.1:port.</summary>
    public Uri? BaseAddress { get; private set; }

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes with the exit code when the process has exited (output may still be draining).</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>A snapshot of every line captured so far.</summary>
    public IReadOnlyList<OutputLine> Lines
    {
        get
        {
            lock (_gate) return _lines.ToArray();
        }
    }

    /// <summary>Runs <c>dotnet drover.dll args…</c>.</summary>
    public static DroverProcess Start(params string[] args) => Start(args, options: null);

    public static DroverProcess Start(IEnumerable<string> args, ProcessOptions? options)
    {
        var dll = CliDllPath;
        if (!File.Exists(dll))
            throw new FileNotFoundException($"drover.dll not found next to the test assembly ({dll}); does the test project still reference Drover.Cli?", dll);
        var argList = args.ToList();
        var name = options?.Name ?? "drover " + (argList.FirstOrDefault() ?? "");
        return StartExecutable(DotnetHost, [dll, .. argList], (options ?? new ProcessOptions()) with { Name = name });
    }

    /// <summary>Starts any executable with the same capture and kill machinery.</summary>
    public static DroverProcess StartExecutable(string fileName, IEnumerable<string> args, ProcessOptions? options = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = options?.WorkingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        if (options?.Environment is { } env)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var commandLine = string.Join(' ', new[] { fileName }.Concat(psi.ArgumentList).Select(Quote));
        var wrapper = new DroverProcess(process, options?.Name ?? Path.GetFileName(fileName), commandLine);
        process.OutputDataReceived += (_, e) => wrapper.OnData(e.Data, isStderr: false);
        process.ErrorDataReceived += (_, e) => wrapper.OnData(e.Data, isStderr: true);
        process.Exited += (_, _) => wrapper.OnExited();

        if (!process.Start())
            throw new InvalidOperationException($"could not start {commandLine}");
        wrapper.Pid = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Exited may have fired before the handler saw a started process; make sure it is observed.
        if (process.HasExited) wrapper.OnExited();
        return wrapper;
    }

    /// <summary>
    /// The join token <see cref="StartServerAsync"/> and <see cref="StartAgent"/> use unless the test passes its own
    /// <c>--token</c> (a server without one generates a token, which an agent would have to read from its output).
    /// </summary>
    public const string TestJoinToken = "integration-test-join-token";

    /// <summary>
    /// Starts <c>drover server --listen 127.0.0.1:port --data-dir dataDir --token TestJoinToken</c> and waits until
    /// <c>GET /ping</c> answers 200.
    /// </summary>
    public static async Task<DroverProcess> StartServerAsync(
        string dataDir, int? port = null, TimeSpan? readyTimeout = null, params string[] extraArgs)
    {
        var p = port ?? FreePort.Get();
        var baseAddress = new Uri($"http://127.0.0.1:{p}");
        // DNS on a free port too (the default 8600 would collide between parallel tests) unless the test chose one
        string[] dns = extraArgs.Contains("--dns-listen") ? [] : ["--dns-listen", "127.0.0.1:0"];
        string[] token = extraArgs.Contains("--token") ? [] : ["--token", TestJoinToken];
        var server = Start(["server", "--listen", $"127.0.0.1:{p}", "--data-dir", dataDir, .. dns, .. token, .. extraArgs],
            new ProcessOptions { Name = $"server:{p}" });
        server.BaseAddress = baseAddress;
        try
        {
            await server.WaitForHttpOkAsync(new Uri(baseAddress, "/ping"), readyTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Starts <c>drover agent --join server --data-dir … --hostname … --listen 127.0.0.1:0 --ports … --token TestJoinToken</c>.
    /// Readiness is the caller's business (poll the server's view of its agents).
    /// </summary>
    public static DroverProcess StartAgent(
        Uri server, string dataDir, string hostname, string ports = "31000-31100", params string[] extraArgs)
    {
        string[] token = extraArgs.Contains("--token") ? [] : ["--token", TestJoinToken];
        return Start(["agent", "--join", server.ToString().TrimEnd('/'), "--data-dir", dataDir, "--hostname", hostname,
                "--listen", "127.0.0.1:0", "--ports", ports, .. token, .. extraArgs],
            new ProcessOptions { Name = $"agent:{hostname}" });
    }

    /// <summary>Runs a one-shot CLI command (<c>dotnet drover.dll args…</c>) to completion.</summary>
    public static Task<ProcessResult> RunCliAsync(TimeSpan timeout, params string[] args) =>
        ProcessRunner.RunAsync(DotnetHost, [CliDllPath, .. args], timeout);

    /// <summary>
    /// Waits for a line (stdout or stderr; lines already captured count) matching <paramref name="predicate"/>.
    /// Fails fast if the process exits without printing one.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        LineWaiter waiter;
        lock (_gate)
        {
            foreach (var line in _lines)
            {
                if (predicate(line.Text)) return line.Text;
            }

            if (_outputFinished)
                throw new InvalidOperationException($"{Name} (pid {Pid}) exited with code {ExitCodeText} without printing the expected line.\n{FormatOutput()}");
            waiter = new LineWaiter(predicate);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Completion.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} (pid {Pid}) printed no matching line within {timeout.TotalSeconds:0.#}s.\n{FormatOutput()}");
        }
        finally
        {
            lock (_gate) _waiters.Remove(waiter);
        }
    }

    /// <summary>The DNS port a server bound (it prints "…, DNS 127.0.0.1:PORT …" when ready).</summary>
    public async Task<int> DnsPortAsync()
    {
        const string marker = ", DNS 127.0.0.1:";
        var line = await WaitForLineAsync(l => l.Contains(marker, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var at = line.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var end = at;
        while (end < line.Length && char.IsAsciiDigit(line[end])) end++;
        return int.Parse(line[at..end], System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<string> WaitForLineAsync(string contains, TimeSpan timeout, CancellationToken ct = default) =>
        WaitForLineAsync(l => l.Contains(contains, StringComparison.Ordinal), timeout, ct);

    /// <summary>
    /// Sends a signal to this process's PID only (children are not signalled). SIGKILL goes through
    /// <see cref="Process.Kill(bool)"/> and waits for the exit; other signals are sent with libc kill(2)
    /// and return at once (use <see cref="WaitForExitAsync"/> to wait for a graceful stop).
    /// </summary>
    public async Task KillAsync(UnixSignal signal = UnixSignal.Kill)
    {
        if (HasExited) return;
        if (signal == UnixSignal.Kill)
        {
            try
            {
                _process.Kill(entireProcessTree: false);
            }
            catch (InvalidOperationException)
            {
                return; // exited meanwhile
            }

            await WaitForExitAsync(ExitWaitAfterKill);
        }
        else
        {
            Libc.Kill(Pid, signal);
        }
    }

    /// <summary>
    /// Waits for the process to exit and returns its exit code, once its output has been read to the end (at most 5 s
    /// more): a test that asserts on what the process printed right after it exited must see all of it.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            var code = await _exited.Task.WaitAsync(timeout);
            await Task.WhenAny(_streamsClosed.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            return code;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds:0.#}s.\n{FormatOutput()}");
        }
    }

    /// <summary>Captured output for a failure message: the command line and the last lines.</summary>
    public string FormatOutput(int maxLines = 200)
    {
        var lines = Lines;
        var sb = new StringBuilder();
        sb.Append("--- ").Append(Name).Append(" (pid ").Append(Pid).Append(", ")
            .Append(HasExited ? $"exited {ExitCodeText}" : "running").Append("): ").AppendLine(CommandLine);
        if (lines.Count > maxLines) sb.AppendLine($"... {lines.Count - maxLines} earlier lines omitted");
        foreach (var l in lines.Skip(Math.Max(0, lines.Count - maxLines))) sb.AppendLine(l.ToString());
        sb.Append("--- end of ").Append(Name);
        return sb.ToString();
    }

    public override string ToString() => $"{Name} (pid {Pid})";

    /// <summary>Kills the process and whatever children it still has (by PID) and waits for the exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            try
            {
                await _exited.Task.WaitAsync(ExitWaitAfterKill);
            }
            catch (TimeoutException)
            {
                // Nothing more we can do from here; the test run's process-group cleanup is the backstop.
            }
        }

        _process.Dispose();
    }

    public static string DotnetPath => DotnetHost;

    private static string DotnetHost
    {
        get
        {
            var self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    private string ExitCodeText => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result.ToString() : "?";

    private async Task WaitForHttpOkAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.AsyncAssert(async () =>
        {
            if (HasExited)
                throw new EventuallyAbortedException($"{Name} exited with code {ExitCodeText} before {url} answered.\n{FormatOutput()}");
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode;
        }, timeout, $"{url} should answer 200", () => FormatOutput());
    }

    private void OnData(string? data, bool isStderr)
    {
        List<LineWaiter>? matched = null;
        lock (_gate)
        {
            if (data is null)
            {
                if (--_openStreams == 0) _streamsClosed.TrySetResult();
                return;
            }

            _lines.Add(new OutputLine(DateTimeOffset.Now, isStderr, data));
            foreach (var w in _waiters)
            {
                bool hit;
                try
                {
                    hit = w.Predicate(data);
                }
                catch (Exception ex)
                {
                    w.Completion.TrySetException(ex);
                    continue;
                }

                if (hit) (matched ??= []).Add(w);
            }
        }

        if (matched is not null)
        {
            foreach (var w in matched) w.Completion.TrySetResult(data);
        }
    }

    private void OnExited()
    {
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return;
        }

        if (!_exited.TrySetResult(code)) return;
        _ = FailWaitersAfterOutputDrainedAsync();
    }

    private async Task FailWaitersAfterOutputDrainedAsync()
    {
        // Let the last lines arrive. A grandchild that inherited the pipes can keep them open
        // after the process itself is gone, so don't wait for EOF forever.
        await Task.WhenAny(_streamsClosed.Task, Task.Delay(TimeSpan.FromSeconds(2)));
        LineWaiter[] pending;
        lock (_gate)
        {
            _outputFinished = true;
            pending = _waiters.ToArray();
        }

        foreach (var w in pending)
        {
            w.Completion.TrySetException(new InvalidOperationException(
                $"{Name} (pid {Pid}) exited with code {ExitCodeText} without printing the expected line.\n{FormatOutput()}"));
        }
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,@+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    private sealed record LineWaiter(Func<string, bool> Predicate)
    {
        public TaskCompletionSource<string> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
