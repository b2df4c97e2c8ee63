using Drover.IntegrationTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ui;

/// <summary>
/// The dashboard's charts start from the agents' stats history, not from when the page opened: with the agent
/// sampling every 500 ms, a page opened after a few seconds already draws several points for the task and its host.
/// </summary>
public sealed class StatsChartsTests(ChromiumFixture browser, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    private const string Burner = """
        {"id":"/ui/charts/burn","cmd":"exec python3 -c \"while True: pass\"","instances":1,"cpus":0.2,"mem":64,
         "labels":{"DROVER_CPU_HARD_LIMIT":"true"}}
        """;

    [Fact(Timeout = 180_000)]
    public async Task The_task_and_host_charts_open_with_the_history_already_drawn()
    {
        await using var c = await LocalCluster.StartWithAgentArgsAsync(1, "--stats-interval", "500ms", "--stats-history", "5m");
        await c.ApplyAsync(Burner);
        var app = await c.WaitForRunningAsync("/ui/charts/burn", 1);
        var taskId = app.Tasks!.Single().Id;
        // the history fills before any page asks for figures
        await Eventually.AsyncAssert(async () => (await c.Client.GetTaskStatsHistoryAsync(taskId)).Samples.Count >= 6,
            TimeSpan.FromSeconds(60), "the agent kept six samples of the task", c.Diagnostics);

        await DashboardPage.RunAsync(browser.Chromium, c, output, "charts", "/ui/apps/ui/charts/burn", async (ui, page) =>
        {
            await page.ClickAsync("[data-tab=logs]");
            await ui.ExpectVisibleAsync("#task-stats figure.task-cpu");
            // drawn from the history at once: at least six points on the first render, no waiting for polls
            var points = await page.Locator("#task-stats figure.task-cpu").GetAttributeAsync("data-points");
            Assert.True(int.Parse(points!) >= 5, $"cpu chart points: {points}");
            await ui.ExpectTextAsync("#task-stats figure.task-cpu figcaption", "cores");
            await ui.ExpectTextAsync("#task-stats figure.task-mem figcaption", "MiB");
            Assert.True(await page.Locator("#task-stats figure.task-cpu polyline").CountAsync() == 1, "the CPU line is drawn");
            await ui.ScreenshotAsync("task-charts");

            await ui.NavAsync("agents");
            await ui.ExpectVisibleAsync("#host-charts [data-host='host-1'] figure.host-load");
            var hostPoints = await page.Locator("[data-host='host-1'] figure.host-cpu").GetAttributeAsync("data-points");
            Assert.True(int.Parse(hostPoints!) >= 5, $"host cpu chart points: {hostPoints}");
            await ui.ExpectTextAsync("[data-host='host-1'] figure.host-cpu figcaption", "cores");
            await ui.ExpectTextAsync("[data-host='host-1'] figure.host-mem figcaption", " of ");
            Assert.Equal(3, await page.Locator("[data-host='host-1'] polyline").CountAsync());
            await ui.ScreenshotAsync("host-charts");
        });
    }
}
