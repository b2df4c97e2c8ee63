using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Playwright;

namespace Drover.IntegrationTests.Harness.Browser;

/// <summary>
/// Debian's /usr/bin/chromium, headless, with a fresh profile, driven through Playwright over the DevTools protocol.
/// </summary>
/// <remarks>
/// We start Chromium ourselves (in its own session, so its process group is its PID) rather than through Playwright's
/// launcher: `playwright install` cannot download browsers here, and owning the PID lets <see cref="DisposeAsync"/> end
/// the browser and every helper process it spawned with one killpg, even when a test failed half-way. Playwright's
/// driver (node, shipped inside the NuGet package) connects to the port Chromium writes to DevToolsActivePort.
/// Self-contained (no other harness types), so bench/ui links this file too.
/// </remarks>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--window-size=1400,900",
    ];

    private readonly Process _process;
    private readonly string _profile;
    private IPlaywright? _playwright;
    private int _disposed;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public IBrowser Browser { get; private set; } = null!;
    public int Pid => _process.Id;

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Starts Chromium and connects; fails with Chromium's own output when it does not come up within <paramref name="timeout"/>.</summary>
    public static async Task<HeadlessChromium> StartAsync(TimeSpan? timeout = null)
    {
        if (!IsInstalled) throw new InvalidOperationException($"{Executable} is missing: apt-get install chromium (test.sh's APT_PACKAGES has it)");
        var profile = Path.Combine(Path.GetTempPath(), "drover-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        // setsid: Chromium leads its own process group, so its zygote, renderers and GPU helper die with it
        var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Executable, .. Flags, "--user-data-dir=" + profile, "about:blank"]) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start chromium");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var chromium = new HeadlessChromium(process, profile);
        try
        {
            var port = await DevToolsPortAsync(process, profile, timeout ?? TimeSpan.FromSeconds(60), () => { lock (output) return output.ToString(); });
            chromium._playwright = await Playwright.CreateAsync();
            chromium.Browser = await chromium._playwright.Chromium.ConnectOverCDPAsync($"http://127.0.0.1:{port}",
                new BrowserTypeConnectOverCDPOptions { Timeout = (float)(timeout ?? TimeSpan.FromSeconds(60)).TotalMilliseconds });
            return chromium;
        }
        catch
        {
            await chromium.DisposeAsync();
            throw;
        }
    }

    /// <summary>Chromium writes the port it bound (first line) to DevToolsActivePort in its profile once it listens.</summary>
    private static async Task<int> DevToolsPortAsync(Process process, string profile, TimeSpan timeout, Func<string> output)
    {
        var file = Path.Combine(profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited) throw new InvalidOperationException($"chromium exited with {process.ExitCode}:\n{output()}");
            if (File.Exists(file))
            {
                var lines = await File.ReadAllLinesAsync(file);
                if (lines.Length > 0 && int.TryParse(lines[0], out var port) && port > 0) return port;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"chromium did not write {file} within {timeout.TotalSeconds:0} s:\n{output()}");
    }

    /// <summary>A fresh context (no cookies or storage shared with other tests) and a page in it.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int killpg(int pgrp, int sig);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (Browser is not null) await Browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // the browser is killed below either way
        }
        _playwright?.Dispose();
        if (!_process.HasExited) killpg(_process.Id, 9);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // a zombie we cannot wait for: nothing else to do
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
