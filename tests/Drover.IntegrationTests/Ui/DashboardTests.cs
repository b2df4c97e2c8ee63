using System.Net;
using System.Text;
using Drover.IntegrationTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ui;

/// <summary>
/// The dashboard at /ui in headless Chromium against a real server and agents: everything an operator does in it
/// (deploy, scale, roll back, revert, drain) and sees live without reloading, hostile text shown as text, and the token prompt.
/// </summary>
public sealed class DashboardTests(ChromiumFixture browser, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);

    private const string Web = """
        {"id":"/ui/web","cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":1,"cpus":0.05,"mem":32,
         "upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":1},
         "healthChecks":[{"protocol":"HTTP","path":"/","portIndex":0,"gracePeriodSeconds":30,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":0}]}
        """;

    [Fact(Timeout = 240_000)]
    public async Task An_operator_deploys_scales_rolls_back_reverts_and_drains_from_the_dashboard_and_sees_it_live()
    {
        await using var c = await LocalCluster.StartAsync(agents: 2);
        await InPageAsync(c, "operator", "/ui/apps", async (ui, page) =>
        {
            await ui.ExpectTextAsync("#stream-state", "live");
            await ui.ExpectTextAsync("main", "No applications yet.");
            // a reload would lose this: every change below must arrive over the event stream
            await page.EvaluateAsync("() => { window.__sameDocument = true; }");

            await page.ClickAsync("#create-app");
            await ui.SubmitDialogAsync("textarea", Web);
            await ui.ExpectTextAsync(".app-id", "/ui/web");
            await ui.ExpectTextAsync("#app-instances", "1 running of 1, 1 healthy", Slow);
            await ui.ExpectTextAsync("#tasks td.task-health", "healthy");
            await ui.ScreenshotAsync("deployed-healthy");

            await page.ClickAsync("#scale");
            await ui.SubmitDialogAsync("input[name=instances]", "2");
            await ui.ExpectTextAsync("#app-instances", "2 running of 2, 2 healthy", Slow);
            await ui.NavAsync("apps");
            await ui.ExpectTextAsync("[data-app='/ui/web'] .instances", "2 of 2");
            await ui.ExpectTextAsync("[data-app='/ui/web'] .status", "Running");
            await ui.ScreenshotAsync("scaled");

            // roll back to the first version: the diff shows what changes, then the app follows it
            await page.ClickAsync("[data-app='/ui/web'] a");
            await page.ClickAsync("[data-tab=versions]");
            await Assertions.Expect(page.Locator("#versions li[data-version]")).ToHaveCountAsync(2);
            await page.Locator("#versions li[data-version] button").Last.ClickAsync();
            await ui.ExpectTextAsync("#version-diff .diff-del", "\"instances\": 2");
            await ui.ExpectTextAsync("#version-diff .diff-add", "\"instances\": 1");
            await ui.ScreenshotAsync("rollback-diff");
            await page.ClickAsync("#rollback");
            await ui.ExpectTextAsync("#app-instances", "1 running of 1, 1 healthy", Slow);

            // a deployment that cannot finish (its new task never passes), reverted from the Deployments page
            await page.ClickAsync("#edit");
            await ui.SubmitDialogAsync("textarea", Web.Replace("\"path\":\"/\"", "\"path\":\"/nope\""));
            await ui.ExpectVisibleAsync("#app-deployment");
            await ui.NavAsync("deployments");
            await ui.ExpectVisibleAsync("[data-deployment] button.revert");
            await ui.ExpectTextAsync("[data-deployment]", "/ui/web");
            await ui.ScreenshotAsync("failing-deployment");
            await page.ClickAsync("[data-deployment] button.revert");
            await ui.SubmitDialogAsync();
            await ui.ExpectTextAsync("main", "No deployments in progress.", Slow);
            var reverted = await c.WaitForRunningAsync("/ui/web", 1);
            Assert.Equal("/", reverted.HealthChecks[0].Path);

            // drain the agent that runs the task: the task moves, the page shows the agent empty and drained
            var agents = await c.Client.GetAgentsAsync();
            var busy = agents.Agents.Single(a => a.Agent.Id == reverted.Tasks![0].SlaveId).Agent.Hostname;
            await ui.NavAsync("agents");
            await page.ClickAsync($"[data-agent='{busy}'] button.drain");
            await ui.SubmitDialogAsync();
            await ui.ExpectTextAsync($"[data-agent='{busy}'] .agent-status", "drained", Slow);
            await ui.ExpectTextAsync($"[data-agent='{busy}'] .agent-tasks", "0");
            await ui.ScreenshotAsync("drained");
            var moved = await c.WaitForRunningAsync("/ui/web", 1, Slow);
            Assert.NotEqual(reverted.Tasks![0].SlaveId, moved.Tasks![0].SlaveId);

            await ui.NavAsync("events");
            await ui.ExpectVisibleAsync("#events li[data-type=deployment_success]");
            await ui.ScreenshotAsync("events");
            Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
        });
    }

    /// <summary>What a hostile user can put in an app (labels, cmd, its output) and in the KV store, shown as text.</summary>
    [Fact(Timeout = 180_000)]
    public async Task Hostile_labels_log_lines_and_values_are_shown_as_text_and_never_run()
    {
        const string Xss = """
            {"id":"/xss","cmd":"echo '<img src=x onerror=window.__xss=1>'; echo '<script>window.__xss=2</script>'; exec sleep 600",
             "instances":1,"cpus":0.05,"mem":16,"labels":{"<img src=x onerror=window.__xss=3>":"<b id=bold>x</b>"}}
            """;
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var http = new HttpClient { BaseAddress = c.BaseAddress };
        // a hostile id never gets in: Marathon's id rules refuse it
        using (var bad = await http.PostAsync("/v2/apps", new StringContent("""{"id":"/<img src=x>","cmd":"true"}""", Encoding.UTF8, "application/json")))
            Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        await c.ApplyAsync(Xss);
        await c.WaitForRunningAsync("/xss", 1);
        using (var put = await http.PutAsync("/v1/kv/xss/key", new StringContent("<img src=x onerror=window.__xss=4>")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        await InPageAsync(c, "xss", "/ui/apps/xss", async (ui, page) =>
        {
            await ui.ExpectTextAsync("#app-labels", "<img src=x onerror=window.__xss=3>=<b id=bold>x</b>");
            await NothingInjectedAsync(page);
            await page.ClickAsync("[data-tab=logs]");
            await ui.ExpectTextAsync("#log", "<img src=x onerror=window.__xss=1>");
            await ui.ExpectTextAsync("#log", "<script>window.__xss=2</script>");
            await NothingInjectedAsync(page);
            await page.ClickAsync("[data-tab=versions]");
            await ui.ExpectTextAsync("#current-config", "<img src=x onerror=window.__xss=3>");
            await NothingInjectedAsync(page);
            await ui.ScreenshotAsync("hostile-app");
            await ui.GotoAsync("/ui/kv/xss/key");
            await ui.ExpectTextAsync("#kv-value", "<img src=x onerror=window.__xss=4>");
            await NothingInjectedAsync(page);
            await ui.NavAsync("events");
            await NothingInjectedAsync(page);
        });
    }

    private static async Task NothingInjectedAsync(IPage page)
    {
        // checked in the DOM, not only by whether a handler ran: the page's CSP would stop an injected handler anyway
        Assert.Equal(0, await page.Locator("main img, main script, main b#bold, .modal img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"), "injected script ran");
    }

    [Fact(Timeout = 120_000)]
    public async Task With_a_token_for_reads_the_page_asks_for_it_says_when_it_is_wrong_and_then_shows_the_cluster()
    {
        await using var c = await LocalCluster.StartAsync(agents: 0, apiToken: "ui-s3cret", dockerSocket: null, "--api-token-reads");
        await c.ApplyAsync("""{"id":"/guarded","cmd":"sleep 100","instances":0}""");
        await InPageAsync(c, "token", "/ui/apps", async (ui, page) =>
        {
            await ui.ExpectVisibleAsync("form.modal input[name=token]");
            await ui.ScreenshotAsync("token-prompt");
            await page.FillAsync("form.modal input[name=token]", "wrong");
            await page.ClickAsync("form.modal button[type=submit]");
            await ui.ExpectTextAsync("form.modal", "the API token does not match");
            await ui.SubmitDialogAsync("input[name=token]", "ui-s3cret");
            await ui.ExpectTextAsync("[data-app='/guarded'] .status", "Suspended");
            await ui.ExpectTextAsync("#stream-state", "live");
        });
    }

    private Task InPageAsync(LocalCluster c, string name, string path, Func<DashboardPage, IPage, Task> scenario) =>
        DashboardPage.RunAsync(browser.Chromium, c, output, name, path, scenario);
}
