using Drover.Core.Metrics;

namespace Drover.Core.Tests.Metrics;

public class ExpositionTests
{
    [Fact]
    public void A_counter_is_written_with_help_type_and_its_value()
    {
        var r = new MetricRegistry();
        var c = r.Counter("drover_things_total", "Things done.");
        c.Inc();
        c.Inc(2.5);
        Assert.Equal("# HELP drover_things_total Things done.\n# TYPE drover_things_total counter\ndrover_things_total 3.5\n", r.Render());
    }

    [Fact]
    public void Labelled_samples_are_sorted_and_label_values_escaped()
    {
        var r = new MetricRegistry();
        var f = r.CounterFamily("drover_x_total", "Help with a \\ backslash\nand a line.", "app", "status");
        f.WithLabels("/b", "2xx").Inc();
        f.WithLabels("/a \"q\" \\ \n", "5xx").Inc(3);
        var text = r.Render();
        Assert.Equal(
            "# HELP drover_x_total Help with a \\\\ backslash\\nand a line.\n"
            + "# TYPE drover_x_total counter\n"
            + "drover_x_total{app=\"/a \\\"q\\\" \\\\ \\n\",status=\"5xx\"} 3\n"
            + "drover_x_total{app=\"/b\",status=\"2xx\"} 1\n", text);
    }

    [Fact]
    public void A_histogram_writes_cumulative_buckets_inf_sum_and_count()
    {
        var r = new MetricRegistry();
        var h = r.HistogramFamily("drover_op_seconds", "Op latency.", [0.1, 1], "kind").WithLabels("write");
        h.Observe(0.05);
        h.Observe(0.1); // le is inclusive
        h.Observe(0.5);
        h.Observe(7);
        Assert.Equal(
            "# HELP drover_op_seconds Op latency.\n# TYPE drover_op_seconds histogram\n"
            + "drover_op_seconds_bucket{kind=\"write\",le=\"0.1\"} 2\n"
            + "drover_op_seconds_bucket{kind=\"write\",le=\"1\"} 3\n"
            + "drover_op_seconds_bucket{kind=\"write\",le=\"+Inf\"} 4\n"
            + "drover_op_seconds_sum{kind=\"write\"} 7.65\n"
            + "drover_op_seconds_count{kind=\"write\"} 4\n", r.Render());
    }

    [Fact]
    public void An_unlabelled_histogram_has_only_le_on_its_buckets()
    {
        var r = new MetricRegistry();
        r.Histogram("drover_h_seconds", "H.", [1]).Observe(2);
        Assert.Contains("drover_h_seconds_bucket{le=\"1\"} 0\ndrover_h_seconds_bucket{le=\"+Inf\"} 1\ndrover_h_seconds_sum 2\ndrover_h_seconds_count 1\n", r.Render());
    }

    [Fact]
    public void Gauges_go_up_and_down_and_special_values_are_spelled_as_prometheus_reads_them()
    {
        var r = new MetricRegistry();
        var g = r.GaugeFamily("drover_g", "G.", "k");
        g.WithLabels("a").Set(5);
        g.WithLabels("a").Dec(2);
        g.WithLabels("b").Set(double.PositiveInfinity);
        g.WithLabels("c").Set(double.NaN);
        g.WithLabels("d").Set(1e-7);
        var text = r.Render();
        Assert.Contains("drover_g{k=\"a\"} 3\n", text);
        Assert.Contains("drover_g{k=\"b\"} +Inf\n", text);
        Assert.Contains("drover_g{k=\"c\"} NaN\n", text);
        Assert.Contains("drover_g{k=\"d\"} 1E-07\n", text);
    }

    [Fact]
    public void Collectors_run_before_each_scrape_and_removed_label_sets_disappear()
    {
        var r = new MetricRegistry();
        var g = r.GaugeFamily("drover_tasks", "Tasks.", "state");
        var state = "running";
        r.OnCollect(() =>
        {
            g.Clear();
            g.WithLabels(state).Set(1);
        });
        Assert.Contains("drover_tasks{state=\"running\"} 1", r.Render());
        state = "failed";
        var text = r.Render();
        Assert.DoesNotContain("running", text);
        Assert.Contains("drover_tasks{state=\"failed\"} 1", text);
    }

    [Fact]
    public void Bad_definitions_and_uses_are_refused_with_a_message_naming_the_problem()
    {
        var r = new MetricRegistry();
        Assert.Contains("not a valid metric name", Assert.Throws<ArgumentException>(() => r.Counter("drover-bad", "x")).Message);
        Assert.Contains("not a valid label name", Assert.Throws<ArgumentException>(() => r.CounterFamily("drover_a_total", "x", "__x")).Message);
        Assert.Contains("'le'", Assert.Throws<ArgumentException>(() => r.HistogramFamily("drover_b_seconds", "x", [1], "le")).Message);
        Assert.Contains("rise strictly", Assert.Throws<ArgumentException>(() => r.Histogram("drover_c_seconds", "x", [1, 1])).Message);
        r.Counter("drover_d_total", "x");
        Assert.Contains("registered twice", Assert.Throws<InvalidOperationException>(() => r.Gauge("drover_d_total", "x")).Message);
        var f = r.CounterFamily("drover_e_total", "x", "a", "b");
        Assert.Contains("has 2 label(s) (a, b), not 1", Assert.Throws<ArgumentException>(() => f.WithLabels("x")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Counter("drover_f_total", "x").Inc(-1));
    }

    [Fact]
    public async Task Concurrent_increments_and_observations_are_all_counted()
    {
        var r = new MetricRegistry();
        var c = r.CounterFamily("drover_n_total", "N.", "k");
        var h = r.Histogram("drover_n_seconds", "N.", [0.5]);
        const int Threads = 8, PerThread = 50_000;
        var scrapes = 0; // written by the scraper only
        using var stop = new CancellationTokenSource();
        // a scraper running alongside: rendering must not lose or tear updates
        var scraper = Task.Run(() => { do { r.Render(); scrapes++; } while (!stop.IsCancellationRequested); });
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var mine = c.WithLabels(t % 2 == 0 ? "even" : "odd");
            for (var i = 0; i < PerThread; i++)
            {
                mine.Inc();
                h.Observe(i % 2 == 0 ? 0.25 : 1);
            }
        });
        stop.Cancel();
        await scraper.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Threads / 2 * PerThread, c.WithLabels("even").Value);
        Assert.Equal(Threads / 2 * PerThread, c.WithLabels("odd").Value);
        Assert.Equal(Threads * PerThread, h.Count);
        Assert.Equal(Threads * PerThread / 2 * 0.25 + Threads * PerThread / 2 * 1.0, h.Sum);
        var text = r.Render();
        Assert.Contains($"drover_n_seconds_bucket{{le=\"0.5\"}} {Threads * PerThread / 2}\n", text);
        Assert.Contains($"drover_n_seconds_bucket{{le=\"+Inf\"}} {Threads * PerThread}\n", text);
        Assert.True(scrapes > 0);
    }

    [Fact]
    public void Incrementing_a_known_label_set_allocates_nothing()
    {
        var r = new MetricRegistry();
        var f = r.CounterFamily("drover_q_total", "Q.", "qtype", "rcode");
        var h = r.HistogramFamily("drover_q_seconds", "Q.", Buckets.Fast, "qtype");
        f.WithLabels("A", "NOERROR").Inc();
        h.WithLabels("A").Observe(0.001);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            f.WithLabels("A", "NOERROR").Inc();
            h.WithLabels("A").Observe(0.001);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
