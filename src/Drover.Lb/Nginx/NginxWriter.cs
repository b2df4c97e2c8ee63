using System.Diagnostics;

namespace Drover.Lb.Nginx;

/// <summary>What <see cref="NginxWriter.WriteAsync"/> did with a rendered config.</summary>
public enum NginxWriteOutcome { Unchanged, Written, Rejected }

/// <param name="Error">Why Nginx refused the text (<c>nginx -t</c>'s own words), when <see cref="Outcome"/> is Rejected.</param>
public sealed record NginxWriteResult(NginxWriteOutcome Outcome, string? Error = null);

/// <summary>
/// Puts a rendered nginx.conf in place: only when its text differs from the file's, and only after
/// <c>nginx -t</c> accepted it as a whole — a refused config leaves the old file (and the running Nginx) untouched.
/// The candidate is tested under its final directory, so relative paths resolve as they will when it is live.
/// </summary>
public sealed class NginxWriter(string configPath, NginxSettings settings, string nginxPath = "nginx", TimeSpan? testTimeout = null)
{
    private readonly TimeSpan _testTimeout = testTimeout ?? TimeSpan.FromSeconds(30);

    public string ConfigPath { get; } = Path.GetFullPath(configPath);

    public async Task<NginxWriteResult> WriteAsync(string text, CancellationToken ct = default)
    {
        if (File.Exists(ConfigPath) && await File.ReadAllTextAsync(ConfigPath, ct) == text) return new(NginxWriteOutcome.Unchanged);
        PrepareDirectories(settings);
        var candidate = ConfigPath + ".new";
        await File.WriteAllTextAsync(candidate, text, ct);
        var (ok, output) = await TestAsync(candidate, ct);
        if (!ok)
        {
            File.Delete(candidate);
            return new(NginxWriteOutcome.Rejected, $"nginx -t refused the new config, the old one stays: {output}");
        }
        // rename(2) replaces the file atomically: Nginx never reads half a config.
        File.Move(candidate, ConfigPath, overwrite: true);
        return new(NginxWriteOutcome.Written);
    }

    /// <summary>The prefix and temp directories Nginx expects to exist before it starts or tests a config.</summary>
    public static void PrepareDirectories(NginxSettings settings)
    {
        Directory.CreateDirectory(settings.Prefix);
        Directory.CreateDirectory(settings.TempDir);
    }

    private async Task<(bool Ok, string Output)> TestAsync(string file, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(nginxPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // -e: the test's own log goes to stderr instead of the compiled-in /var/log/nginx/error.log.
        foreach (var a in new[] { "-t", "-q", "-e", "stderr", "-c", file, "-p", settings.Prefix }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {nginxPath}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_testTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            p.Kill();
            return (false, $"nginx -t did not finish within {_testTimeout.TotalSeconds:0}s");
        }
        var output = ((await stdout) + (await stderr)).Trim().Replace(Path.GetFileName(file), Path.GetFileName(ConfigPath));
        return (p.ExitCode == 0, output);
    }
}
