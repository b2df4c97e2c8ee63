using System.Diagnostics;
using Drover.Api.Client;
using Drover.Bench;
using Drover.IntegrationTests.Harness.Browser;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/ui: the dashboard against a server holding 1,000 apps / 10,000 running tasks (simulated agents, as bench/api),
// measured in headless Chromium. Prints: time to first render of the apps list (navigation start to the first rows,
// from the page's own performance mark), time from a scale API call (made from the page) to its row showing the new
// instance count, the same for a burst of scales at once, and GET /v2/apps(?embed=apps.tasks) latency for reference.
var apps = Arg("--apps", 1000);
var perApp = Arg("--instances", 10);
var agents = Arg("--agents", 100);
var loads = Arg("--loads", 5);
var scales = Arg("--scales", 10);
var burst = Arg("--burst", 20);
var dataDir = Path.Combine(Path.GetTempPath(), "drover-bench-ui-" + Environment.ProcessId);

await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
using var client = new DroverClient(server.Url);
Console.WriteLine($"bench/ui: server {server.Url}, sqlite state in {dataDir}");
await using var cluster = await SimulatedCluster.StartAsync(client, apps, perApp, agents);

using var http = new HttpClient { BaseAddress = server.Url };
foreach (var path in new[] { "/v2/apps?embed=apps.tasks", "/v2/apps" })
{
    var times = new List<double>();
    long size = 0;
    for (var i = 0; i < 25; i++)
    {
        var t = Stopwatch.StartNew();
        size = (await http.GetByteArrayAsync(path)).Length;
        times.Add(t.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine($"GET {path}: {size / 1024.0:0} KiB, p50={Median(times):0.0} ms, max={times.Max():0.0} ms (reference; the list loads /v2/apps)");
}

await using var chromium = await HeadlessChromium.StartAsync();
var firstRender = new List<double>();
var loaded = new List<double>();
var appsLoaded = new List<double>();
var scriptsDone = new List<double>();
for (var i = 0; i < loads; i++)
{
    var page = await chromium.NewPageAsync();
    var t = Stopwatch.StartNew();
    await page.GotoAsync(new Uri(server.Url, "/ui/apps").ToString());
    await page.WaitForSelectorAsync("[data-app]", new() { Timeout = 60_000 });
    loaded.Add(t.Elapsed.TotalMilliseconds);
    firstRender.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByName('drover:first-rows')[0].startTime"));
    appsLoaded.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByName('drover:apps-loaded')[0].startTime"));
    scriptsDone.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"));
    if (i < loads - 1) await page.Context.CloseAsync();
}
Console.WriteLine($"apps list, {apps} apps: first render p50={Median(firstRender):0} ms max={firstRender.Max():0} ms after navigation start "
                  + $"(driver's view, goto to rows: p50={Median(loaded):0} ms)");
Console.WriteLine($"  of which: page and modules loaded p50={Median(scriptsDone):0} ms, /v2/apps read and parsed p50={Median(appsLoaded):0} ms");

var live = chromium.Browser.Contexts[^1].Pages[^1];
await live.WaitForFunctionAsync("() => document.getElementById('stream-state').textContent === 'live'", null, new() { Timeout = 60_000 });
var rowsInDom = await live.EvaluateAsync<int>("() => document.querySelectorAll('[data-app]').length");
Console.WriteLine($"  rows in the DOM: {rowsInDom} of {apps} (the list is virtual)");

// the page makes the call and watches its own DOM, so the figure is call-to-pixels with no driver polling in it
const string ScaleAndWait = """
    async ([ids, instances]) => {
      const t0 = performance.now();
      const shown = id => document.querySelector(`[data-app="${id}"] .instances`)?.textContent.includes(`of ${instances}`);
      const seen = new Promise(resolve => {
        const check = () => { if (ids.every(shown)) { observer.disconnect(); resolve(performance.now() - t0); } };
        const observer = new MutationObserver(check);
        observer.observe(document.getElementById('main'), { childList: true, subtree: true, characterData: true });
      });
      let answered = 0;
      const calls = Promise.all(ids.map(id => fetch('/v2/apps' + id + '?force=true', { method: 'PUT', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ instances }) }).then(r => { if (!r.ok) throw new Error(`${id}: HTTP ${r.status}`); })))
        .then(() => { answered = performance.now() - t0; });
      // the deadline covers the calls too: a call the server does not answer fails the figure instead of hanging it
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('not shown within 30 s')), 30000));
      const shownAfter = await Promise.race([calls.then(() => seen), deadline]);
      return [answered, shownAfter];
    }
    """;
var visible = await live.EvaluateAsync<string[]>("() => [...document.querySelectorAll('[data-app]')].map(r => r.dataset.app)");
var single = new List<double>();
var answered = new List<double>();
for (var i = 0; i < scales; i++)
{
    var id = visible[i % Math.Min(visible.Length, 10)];
    // the UI shows the new desired count at once; the simulated agents need not run the new tasks for that
    var (call, shown) = Pair(await live.EvaluateAsync<double[]>(ScaleAndWait, new object[] { new[] { id }, perApp + 1 + i }));
    answered.Add(call);
    single.Add(shown);
}
Console.WriteLine($"scale API call -> row shows it: p50={Median(single):0} ms max={single.Max():0} ms ({scales} calls, one app each)");
Console.WriteLine($"  of which: the PUT answered p50={Median(answered):0} ms max={answered.Max():0} ms");
var many = visible.Take(Math.Min(burst, visible.Length)).ToArray();
var (burstCalls, burstMs) = Pair(await live.EvaluateAsync<double[]>(ScaleAndWait, new object[] { many, perApp + 100 }));
var renders = await live.EvaluateAsync<int>("() => window.droverUi.renders");
Console.WriteLine($"burst: {many.Length} apps scaled at once -> all rows show it after {burstMs:0} ms (all PUTs answered after {burstCalls:0} ms); {renders} renders in the page's whole life");

await chromium.DisposeAsync();
await cluster.DisposeAsync();
await server.StopAsync();
try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }

static (double, double) Pair(double[] xs) => (xs[0], xs[1]);

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s[s.Count / 2];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
