using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Drover.Bench.Lb;

/// <summary>What one wrk run printed: requests, throughput, p99, and every failure it counts.</summary>
public sealed record WrkResult(long Requests, double RequestsPerSecond, double P99Ms, long Non2xx, long ConnectErrors, long ReadErrors, long WriteErrors, long Timeouts)
{
    public long Failed => Non2xx + ConnectErrors + ReadErrors + WriteErrors + Timeouts;

    public override string ToString() =>
        $"{Requests} requests, {RequestsPerSecond:0} req/s, p99 {P99Ms:0.00} ms, failed {Failed} (non-2xx {Non2xx}, connect {ConnectErrors}, read {ReadErrors}, write {WriteErrors}, timeout {Timeouts})";
}

/// <summary>Runs wrk (it never retries a request, so every error shows) against the lb with a Host header.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, string host, int connections, TimeSpan duration, bool newConnectionPerRequest = false)
    {
        var args = new List<string> { "-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "-H", $"Host: {host}" };
        if (newConnectionPerRequest) args.AddRange(["-H", "Connection: close"]);
        args.Add(url);
        using var p = Process.Start(new ProcessStartInfo("wrk", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var text = await stdout;
        if (p.ExitCode != 0) throw new InvalidOperationException($"wrk exited with {p.ExitCode}: {await stderr}{text}");
        return Parse(text);
    }

    public static WrkResult Parse(string text)
    {
        long L(Regex r, int group = 1) => r.Match(text) is { Success: true } m ? long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var rps = RequestsPerSec().Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var p99 = P99().Match(text) is { Success: true } q ? Ms(q.Groups[1].Value, q.Groups[2].Value) : double.NaN;
        var sock = SocketErrors().Match(text);
        long S(int g) => sock.Success ? long.Parse(sock.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(L(Requests()), rps, p99, L(Non2xx()), S(1), S(2), S(3), S(4));
    }

    private static double Ms(string value, string unit)
    {
        var v = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, "m" => v * 60_000, _ => v };
    }

    [GeneratedRegex(@"(\d+) requests in")] private static partial Regex Requests();
    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")] private static partial Regex RequestsPerSec();
    [GeneratedRegex(@"99%\s+([\d.]+)(us|ms|s|m)")] private static partial Regex P99();
    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")] private static partial Regex Non2xx();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")] private static partial Regex SocketErrors();
}
