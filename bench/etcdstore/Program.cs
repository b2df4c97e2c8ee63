using System.Diagnostics;
using Drover.Bench.EtcdStore;
using Drover.State;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;

var ops = Arg("--ops", 1000);
var batches = Arg("--batches", 200);
var batchSize = Arg("--batch-size", 100);
Console.WriteLine($"etcd store vs SQLite: {ops} single-op writes, then {batches} batches of {batchSize} puts, sequential, one writer");
Console.WriteLine($"{"store",-22} {"p50 ms",8} {"p99 ms",8} {"writes/s",9} {"batches/s",10} {"docs/s",9}");

var sqliteDir = Path.Combine(Path.GetTempPath(), "drover-bench-sqlite-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(sqliteDir);
try
{
    await using (var sqlite = await SqliteStateStore.OpenAsync(Path.Combine(sqliteDir, "state.db")))
        await MeasureAsync("sqlite (fsync)", sqlite);
}
finally
{
    Directory.Delete(sqliteDir, recursive: true);
}

foreach (var size in new[] { 1, 3 })
{
    using var etcd = new EtcdProcesses(size);
    await etcd.WaitHealthyAsync();
    using var client = EtcdClient.Create(etcd.Endpoints);
    await using var store = await EtcdStateStore.OpenAsync(client);
    await MeasureAsync($"etcd {size} member{(size > 1 ? "s" : "")}", store);
}
return 0;

async Task MeasureAsync(string name, IStateStore store)
{
    var value = new byte[200];
    Random.Shared.NextBytes(value);
    for (var i = 0; i < 50; i++) await store.ApplyAsync([new StateOp("warm", $"w{i}", value)]); // JIT, connections

    var latencies = new double[ops];
    var total = Stopwatch.StartNew();
    for (var i = 0; i < ops; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await store.ApplyAsync([new StateOp("apps", $"app{i % 100}", value)]);
        latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }
    var writesPerSecond = ops / total.Elapsed.TotalSeconds;
    Array.Sort(latencies);

    total.Restart();
    for (var b = 0; b < batches; b++)
        await store.ApplyAsync(Enumerable.Range(0, batchSize).Select(i => new StateOp("tasks", $"t{b % 10}-{i}", value)).ToArray());
    var batchesPerSecond = batches / total.Elapsed.TotalSeconds;

    Console.WriteLine($"{name,-22} {Pct(0.50),8:0.00} {Pct(0.99),8:0.00} {writesPerSecond,9:0} {batchesPerSecond,10:0.0} {batchesPerSecond * batchSize,9:0}");

    double Pct(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
}

int Arg(string flag, int fallback)
{
    var i = Array.IndexOf(args, flag);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0 ? v : fallback;
}
