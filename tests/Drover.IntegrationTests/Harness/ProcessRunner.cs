using System.Diagnostics;
using System.Text;

namespace Drover.IntegrationTests.Harness;

/// <summary>The outcome of a one-shot command.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public override string ToString() =>
        $"exit {(TimedOut ? "TIMEOUT" : ExitCode.ToString())} after {Elapsed.TotalSeconds:0.0}s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}\n---";
}

/// <summary>Runs a command to completion with a timeout, capturing stdout and stderr.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        // After a kill, a grandchild could still hold the pipes open: bound the wait for the last output.
        var drained = await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5))
            .ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        var exitCode = process.HasExited ? process.ExitCode : -1;
        return new ProcessResult(
            exitCode,
            drained ? stdout.Result : "(output not drained)",
            drained ? stderr.Result : "(output not drained)",
            timedOut,
            clock.Elapsed);
    }
}
