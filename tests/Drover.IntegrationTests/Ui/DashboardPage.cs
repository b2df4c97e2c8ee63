using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Browser;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ui;

/// <summary>The dashboard in a page, with the waits the tests share (each with a deadline) and screenshots kept as artifacts.</summary>
public sealed class DashboardPage(IPage page, Uri server, string name)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private int _shots;

    public IPage Page => page;
    /// <summary>Uncaught exceptions in the page (console messages about refused requests are expected and not counted).</summary>
    public List<string> PageErrors { get; } = [];

    public static async Task<DashboardPage> OpenAsync(IPage page, Uri server, string name, string path = "/ui/apps")
    {
        var d = new DashboardPage(page, server, name);
        page.PageError += (_, e) => { lock (d.PageErrors) d.PageErrors.Add(e); };
        await d.GotoAsync(path);
        return d;
    }

    /// <summary>
    /// Runs a scenario in a fresh page of the dashboard; afterwards the page must have thrown nothing. On failure it
    /// keeps a screenshot and writes the page's errors and the cluster's output; the page's context is closed either way.
    /// </summary>
    public static async Task RunAsync(HeadlessChromium chromium, LocalCluster c, ITestOutputHelper output, string name, string path,
        Func<DashboardPage, IPage, Task> scenario)
    {
        var page = await chromium.NewPageAsync();
        var ui = await OpenAsync(page, c.BaseAddress, name, path);
        try
        {
            await scenario(ui, page);
            Assert.Empty(ui.PageErrors);
        }
        catch
        {
            await ui.ScreenshotAsync("failure");
            output.WriteLine(string.Join("\n", ui.PageErrors));
            output.WriteLine(c.Diagnostics());
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    public Task GotoAsync(string path) => page.GotoAsync(new Uri(server, path).ToString());

    public Task ExpectTextAsync(string selector, string text, TimeSpan? timeout = null) =>
        Assertions.Expect(page.Locator(selector).First).ToContainTextAsync(text, new() { Timeout = Ms(timeout) });

    public Task ExpectVisibleAsync(string selector, TimeSpan? timeout = null) =>
        Assertions.Expect(page.Locator(selector).First).ToBeVisibleAsync(new() { Timeout = Ms(timeout) });

    public Task ExpectGoneAsync(string selector, TimeSpan? timeout = null) =>
        Assertions.Expect(page.Locator(selector)).ToHaveCountAsync(0, new() { Timeout = Ms(timeout) });

    /// <summary>Opens a section from the top bar, as a user would (no reload).</summary>
    public async Task NavAsync(string section)
    {
        await page.Locator($"nav a[data-section='{section}']").ClickAsync();
        await Assertions.Expect(page.Locator($"nav a[data-section='{section}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("active"));
    }

    /// <summary>Fills the open dialog's field and presses its OK button.</summary>
    public async Task SubmitDialogAsync(string? field = null, string? value = null)
    {
        var dialog = page.Locator("form.modal");
        if (field is not null) await dialog.Locator(field).FillAsync(value!);
        await dialog.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = Ms(null) });
    }

    public async Task ScreenshotAsync(string step)
    {
        var file = Path.Combine(TestArtifacts.Directory(Path.Combine("screenshots", "ui")), $"{name}-{++_shots:D2}-{step}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
    }

    private static float Ms(TimeSpan? t) => (float)(t ?? Deadline).TotalMilliseconds;
}
