using System.Diagnostics;
using System.Globalization;
using Drover.Core.Net;

namespace Drover.Bench.C1m;

/// <summary>
/// One <c>dotnet drover.dll server</c> on a free loopback port, its output in a log file, stopped by its PID. Read from
/// outside as an operator would: /proc for memory and CPU, /metrics for store writes.
/// </summary>
internal sealed class ServerUnderTest : IDisposable
{
    public const string Token = "bench-c1m-token";

    private readonly Process _process;

    private ServerUnderTest(Process process, int port, string logFile)
    {
        _process = process;
        Url = new Uri($"http://127.0.0.1:{port}/");
        LogFile = logFile;
    }

    public Uri Url { get; }
    public string LogFile { get; }
    public int Pid => _process.Id;

    public static async Task<ServerUnderTest> StartAsync(string dataDir, string? etcd, TimeSpan agentTimeout, HttpClient http, int? launchesPerPass = null)
    {
        Directory.CreateDirectory(dataDir);
        var port = FreePorts.Loopback();
        var log = Path.Combine(dataDir, "server.log");
        // exec through sh only to send the output to a file: the PID stays the server's
        var command = new List<string>
        {
            "dotnet", Path.Combine(AppContext.BaseDirectory, "drover.dll"), "server", "--listen", $"127.0.0.1:{port}",
            "--data-dir", Path.Combine(dataDir, "server"), "--dns-listen", "off", "--token", Token,
            "--agent-timeout", $"{(int)agentTimeout.TotalSeconds}s",
        };
        if (launchesPerPass is { } n) command.AddRange(["--max-launches-per-pass", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (etcd is not null) command.AddRange(["--etcd", etcd, "--advertise", $"http://127.0.0.1:{port}"]);
        var psi = new ProcessStartInfo("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >\"$LOG\" 2>&1");
        psi.ArgumentList.Add("sh");
        foreach (var a in command) psi.ArgumentList.Add(a);
        psi.Environment["LOG"] = log;
        var server = new ServerUnderTest(Process.Start(psi)!, port, log);
        try
        {
            await server.WaitReadyAsync(http, etcd is not null);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private async Task WaitReadyAsync(HttpClient http, bool elected)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"server exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                // on etcd, the server must also have won the election before it takes writes
                using var r = await http.GetAsync(new Uri(Url, elected ? "/v2/leader" : "/ping"));
                if (r.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // starting
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"server not ready after 90 s:\n{Tail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Peak and current resident memory (VmHWM, VmRSS) in MiB, from /proc.</summary>
    public (double PeakMiB, double NowMiB) Memory()
    {
        double peak = 0, now = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kib(line) / 1024;
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) now = Kib(line) / 1024;
        }
        return (peak, now);
        // "VmRSS:\t 9714000 kB", but "VmRSS:\t10000000 kB" from 10 GB on: the padding is spaces only while there is room
        static double Kib(string line) => double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>CPU seconds the server has used (user + system), from /proc/PID/stat.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[11], [12]: utime, stime in clock ticks (field 14 and 15 of proc(5), counted after the command name)
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The sum of a metric's samples in the server's Prometheus text (all label sets).</summary>
    public async Task<double> MetricAsync(HttpClient http, string name) =>
        (await MetricsAsync(http)).Where(kv => kv.Key == name || kv.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(kv => kv.Value);

    /// <summary>Every sample of the server's Prometheus text, keyed by the whole series (name and labels).</summary>
    public async Task<Dictionary<string, double>> MetricsAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri(Url, "/metrics"));
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], CultureInfo.InvariantCulture, out var v)) samples[line[..space]] = v;
        }
        return samples;
    }

    public string Tail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(30_000);
        }
        catch (InvalidOperationException)
        {
            // exited already
        }
        _process.Dispose();
    }
}
