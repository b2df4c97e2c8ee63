using System.Diagnostics;
using Drover.Core.Discovery;

namespace Drover.Health;

/// <summary>A program run as a check: its argv, where it runs and with what environment.</summary>
public sealed record CommandProbeSpec
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public string? WorkingDirectory { get; init; }
    /// <summary>The whole environment of the check; null inherits this process's.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>Bytes of output kept (stdout, then stderr); the rest is read and dropped so the program never blocks.</summary>
    public int MaxOutput { get; init; } = 4096;
}

/// <summary>How the program ended and what it printed.</summary>
public sealed record CommandProbeOutcome(int ExitCode, string Output);

public static class CommandProbe
{
    /// <summary>Consul's and Marathon's rule (and seed 004's scripts): exit 0 passing, 1 warning, anything else critical.</summary>
    public static HealthStatus Classify(int exitCode) => exitCode switch
    {
        0 => HealthStatus.Passing,
        1 => HealthStatus.Warning,
        _ => HealthStatus.Critical,
    };

    /// <summary>
    /// Runs the program to its end. Cancelling (a timeout) kills its whole process tree and throws
    /// <see cref="OperationCanceledException"/>; a program that cannot be started throws
    /// <see cref="System.ComponentModel.Win32Exception"/> or <see cref="InvalidOperationException"/>.
    /// </summary>
    public static async Task<CommandProbeOutcome> RunAsync(CommandProbeSpec spec, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (spec.WorkingDirectory is { } dir) psi.WorkingDirectory = dir;
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        if (spec.Environment is { } env)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        using var process = new Process { StartInfo = psi };
        process.Start();
        process.StandardInput.Close();
        var stdout = ProbeOutput.ReadLimitedAsync(process.StandardOutput.BaseStream, spec.MaxOutput, CancellationToken.None);
        var stderr = ProbeOutput.ReadLimitedAsync(process.StandardError.BaseStream, spec.MaxOutput, CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // already gone
            throw;
        }
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        return new CommandProbeOutcome(process.ExitCode, output.Length > spec.MaxOutput ? output[..spec.MaxOutput] : output);
    }
}
