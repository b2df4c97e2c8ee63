using Drover.IntegrationTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ui;

/// <summary>
/// The Groups view (Marathon's group tree, apps nested, scaling a group) and the Launch Queue view (waiting launches
/// with their delay and last failure, reset delay), in headless Chromium against a real server and agent, both live.
/// </summary>
public sealed class GroupsAndQueueTests(ChromiumFixture browser, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 180_000)]
    public async Task The_group_tree_nests_apps_and_scaling_a_group_shows_live()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await c.ApplyAsync("""{"id":"/shop/web","cmd":"exec sleep 600","instances":1,"cpus":0.01,"mem":8}""");
        await c.ApplyAsync("""{"id":"/shop/db/main","cmd":"exec sleep 600","instances":1,"cpus":0.01,"mem":8}""");
        await c.ApplyAsync("""{"id":"/tools","cmd":"exec sleep 600","instances":0,"cpus":0.01,"mem":8}""");
        await c.WaitForRunningAsync("/shop/web", 1);
        await c.WaitForRunningAsync("/shop/db/main", 1);

        await InPageAsync(c, "groups", "/ui/apps", async (ui, page) =>
        {
            await ui.NavAsync("groups");
            await ui.ExpectVisibleAsync("[data-group='/shop'] [data-group='/shop/db'] [data-group-app='/shop/db/main']");
            await ui.ExpectVisibleAsync("[data-group='/'] > ul > [data-group-app='/tools']");
            await ui.ExpectTextAsync("[data-group='/shop'] > .group-row .group-count", "2 apps");
            await ui.ExpectTextAsync("[data-group='/shop'] > .group-row .group-instances", "2 of 2 running", Slow);
            await ui.ScreenshotAsync("tree");

            await page.EvaluateAsync("() => { window.__sameDocument = true; }");
            await page.ClickAsync("[data-group='/shop'] > .group-row button.scale-group");
            await ui.SubmitDialogAsync("input[name=factor]", "2");
            // no reload: the counts follow the deployment over the event stream
            await ui.ExpectTextAsync("[data-group='/shop'] > .group-row .group-instances", "4 of 4 running", Slow);
            await ui.ExpectTextAsync("[data-group-app='/shop/db/main'] .instances", "2 of 2");
            await ui.ScreenshotAsync("scaled");
            Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
            Assert.Equal(2, (await c.Client.GetAppAsync("/shop/web")).Instances);

            // a subgroup's own page, and a bad factor named in the dialog
            await page.ClickAsync("[data-group='/shop/db'] > .group-row a");
            await ui.ExpectTextAsync("h1", "Group /shop/db");
            await ui.ExpectGoneAsync("[data-group='/shop'] > .group-row");
            await page.ClickAsync("[data-group='/shop/db'] > .group-row button.scale-group");
            await page.FillAsync("form.modal input[name=factor]", "-1");
            await page.ClickAsync("form.modal button[type=submit]");
            await ui.ExpectTextAsync("form.modal .error", "The factor must be a number ≥ 0");
        });
    }

    [Fact(Timeout = 180_000)]
    public async Task A_crashing_app_waits_in_the_queue_with_its_delay_and_failure_until_the_delay_is_reset()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        // fails at once, then waits a long backoff: it sits in the queue with most of a minute left
        await c.ApplyAsync("""
            {"id":"/crash","cmd":"echo boom; exit 3","instances":1,"cpus":0.01,"mem":8,"backoffSeconds":120,"backoffFactor":1,"maxLaunchDelaySeconds":300}
            """);
        var first = await Eventually.GetAsync(async () => (await c.Client.GetAppAsync("/crash")).LastTaskFailure,
            TimeSpan.FromSeconds(60), "the app's first task failed", c.Diagnostics);

        await InPageAsync(c, "queue", "/ui/apps", async (ui, page) =>
        {
            await ui.NavAsync("queue");
            await ui.ExpectTextAsync("[data-queue-app='/crash'] .queue-delay", "s left");
            await ui.ExpectTextAsync("[data-queue-app='/crash'] .queue-count", "1");
            await ui.ExpectTextAsync("[data-queue-app='/crash'] .queue-failure", "TASK_FAILED");
            await Assertions.Expect(page.Locator("[data-queue-app='/crash'] .queue-failure")).ToHaveAttributeAsync("data-task", first.TaskId);
            var left = await page.Locator("[data-queue-app='/crash'] .queue-delay").InnerTextAsync();
            Assert.True(int.Parse(left.Split('s')[0]) > 30, left);
            await ui.ScreenshotAsync("waiting");

            await page.ClickAsync("[data-queue-app='/crash'] button.reset-delay");
            await ui.ExpectTextAsync("#notice", "Reset the launch delay of /crash");
            // launched again at once, failed again: the row shows the new failure without a reload
            var second = await Eventually.GetAsync(async () =>
                (await c.Client.GetAppAsync("/crash")).LastTaskFailure is { } f && f.TaskId != first.TaskId ? f : null,
                TimeSpan.FromSeconds(60), "a new task launched after the reset and failed", c.Diagnostics);
            await Assertions.Expect(page.Locator("[data-queue-app='/crash'] .queue-failure"))
                .ToHaveAttributeAsync("data-task", second.TaskId, new() { Timeout = (float)Slow.TotalMilliseconds });
            await ui.ScreenshotAsync("reset");

            // suspended: nothing waits any more
            await c.ApplyAsync("""{"id":"/crash","cmd":"echo boom; exit 3","instances":0,"cpus":0.01,"mem":8}""");
            await ui.ExpectTextAsync("main", "No launches waiting.", Slow);
        });
    }

    private Task InPageAsync(LocalCluster c, string name, string path, Func<DashboardPage, IPage, Task> scenario) =>
        DashboardPage.RunAsync(browser.Chromium, c, output, name, path, scenario);
}
