using System.Diagnostics;
using System.Text;

namespace Drover.Bench.Ha;

/// <summary>
/// App writes through one server's API, as a Marathon client makes them: sequential creates (POST /v2/apps), then
/// concurrent scales (PUT /v2/apps/{id}?force=true, each client on its own app). No agent is joined: apps have 0 or 1
/// instances that cannot be placed, so what is measured is the API, the deployment planner and the store write.
/// </summary>
internal static class AppWrites
{
    public sealed record Figures(string Label, int Count, TimeSpan Elapsed, IReadOnlyList<double> LatenciesMs)
    {
        public override string ToString()
        {
            var sorted = LatenciesMs.Order().ToList();
            return $"{Label,-42} {Count,5} writes in {Elapsed.TotalSeconds,6:F2} s: {Count / Elapsed.TotalSeconds,7:F0} writes/s, "
                + $"p50 {Percentile(sorted, 0.50),6:F1} ms, p99 {Percentile(sorted, 0.99),6:F1} ms";
        }
    }

    /// <summary>
    /// The same writes, not measured: the server's JIT, tiered compilation and connection pools. Every server is warmed
    /// before any is measured (a first-measured server was a third slower in the run that showed it).
    /// </summary>
    public static Task WarmUpAsync(Uri server, int clients) => MeasureAsync("warm-up", server, creates: 100, clients, scalesPerClient: 20);

    public static async Task<IReadOnlyList<Figures>> MeasureAsync(string store, Uri server, int creates, int clients, int scalesPerClient)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        var run = Guid.NewGuid().ToString("N")[..6];
        var created = await TimedAsync($"{store}: create, sequential", creates, 1, async (_, i) =>
            await SendAsync(http, HttpMethod.Post, "/v2/apps", App($"/bench-{run}/seq-{i}", 0)));
        for (var c = 0; c < clients; c++) await SendAsync(http, HttpMethod.Post, "/v2/apps", App($"/bench-{run}/scale-{c}", 0));
        var scaled = await TimedAsync($"{store}: scale, {clients} concurrent", scalesPerClient, clients, async (c, i) =>
            await SendAsync(http, HttpMethod.Put, $"/v2/apps/bench-{run}/scale-{c}?force=true", $$"""{"instances":{{(i + 1) % 2}}}"""));
        return [created, scaled];
    }

    private static async Task<Figures> TimedAsync(string label, int perClient, int clients, Func<int, int, Task> write)
    {
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = new List<double>(perClient);
            for (var i = 0; i < perClient; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await write(c, i);
                latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        return new Figures(label, perClient * clients, clock.Elapsed, latencies.SelectMany(l => l).ToList());
    }

    private static string App(string id, int instances) => $$"""{"id":"{{id}}","cmd":"sleep 3600","instances":{{instances}},"cpus":0.01,"mem":8}""";

    private static async Task SendAsync(HttpClient http, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
