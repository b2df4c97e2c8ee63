using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Drover.Agent;
using Drover.Agent.Cgroups;
using Drover.Api.Client;
using Drover.Server;
using Microsoft.Extensions.Logging;

// bench/smallcpus: how long `python3 -m http.server` takes to listen with cpus 0.05 (a common value in Marathon
// examples). Outside Drover, under Drover's default (cpu.shares: a weight, idle cpu is used) and under a hard CFS
// quota (5% of a cpu: it needs ~0.5 s of cpu to start, so ~10 s). Same machine, same run, interleaved rounds.
// Target: Drover (shares) within 2× of outside.
var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 5;
var hardRounds = args.Length > 1 && int.TryParse(args[1], out var h) ? h : 2;
const string Python = "python3";
var root = Path.Combine(Path.GetTempPath(), "drover-bench-smallcpus-" + Environment.ProcessId);
using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
await using var server = await DroverServer.CreateAsync(new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(root, "server") },
    logging: b => b.SetMinimumLevel(LogLevel.Warning));
await server.StartAsync();
await using var agent = new DroverAgent(new AgentOptions
{
    ServerUrl = server.Url.ToString().TrimEnd('/'), DataDir = Path.Combine(root, "agent"), Hostname = "bench", Ports = "34000-34999",
    KillTasksOnStop = true,
}, loggers);
await agent.StartAsync();
await agent.Registered.WaitAsync(TimeSpan.FromSeconds(30));
using var client = new DroverClient(server.Url);
Console.WriteLine($"cgroups: {CgroupManager.Detect()}");

var outside = new List<double>();
var shares = new List<double>();
var hard = new List<double>();
var port = 35000;
for (var i = 0; i < Math.Max(rounds, hardRounds); i++)
{
    if (i < rounds)
    {
        outside.Add(await OutsideAsync(port++));
        shares.Add(await UnderDroverAsync($"/bench/shares-{i}", hardLimit: false));
    }
    if (i < hardRounds) hard.Add(await UnderDroverAsync($"/bench/hard-{i}", hardLimit: true));
}

Console.WriteLine($"start → listening of `{Python} -m http.server`, cpus 0.05:");
Print("outside Drover", outside);
Print("Drover, cpu shares (default)", shares);
Print("Drover, hard limit (CFS quota)", hard);
var ratio = Median(shares) / Median(outside);
Console.WriteLine($"  Drover/outside = {ratio:0.00}×   target ≤ 2×: {(ratio <= 2 ? "MET" : "NOT MET")}");
Console.WriteLine($"  hard limit/outside = {Median(hard) / Median(outside):0.0}× (throttled, as asked)");
await agent.StopAsync();
await server.StopAsync();
try { Directory.Delete(root, recursive: true); } catch (IOException) { }
return;

static void Print(string what, List<double> ms) =>
    Console.WriteLine($"  {what,-32} median={Median(ms):0} ms  min={ms.Min():0} ms  max={ms.Max():0} ms  (n={ms.Count})");

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count == 0 ? double.NaN : s[s.Count / 2];
}

static async Task<double> OutsideAsync(int port)
{
    var psi = new ProcessStartInfo(Python, ["-m", "http.server", port.ToString(), "--bind", "127.0.0.1"])
    {
        RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath(),
    };
    var sw = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    try
    {
        await WaitListeningAsync(port, sw);
        return sw.Elapsed.TotalMilliseconds;
    }
    finally
    {
        p.Kill(entireProcessTree: true);
        await p.WaitForExitAsync();
    }
}

async Task<double> UnderDroverAsync(string id, bool hardLimit)
{
    var labels = hardLimit ? ""","labels":{"DROVER_CPU_HARD_LIMIT":"true"}""" : "";
    using var doc = JsonDocument.Parse($$"""{"id":"{{id}}","cmd":"exec {{Python}} -m http.server $PORT0 --bind 127.0.0.1","instances":1,"cpus":0.05,"mem":64{{labels}}}""");
    var sw = Stopwatch.StartNew();
    await client.PutAppAsync(id, doc.RootElement);
    int taskPort;
    while (true)
    {
        var tasks = await client.ListTasksAsync(id);
        if (tasks.Count == 1 && tasks[0].Ports.Count == 1) { taskPort = tasks[0].Ports[0]; break; }
        if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{id} was not placed");
        await Task.Delay(5);
    }
    await WaitListeningAsync(taskPort, sw);
    var elapsed = sw.Elapsed.TotalMilliseconds;
    await client.DeleteAppAsync(id);
    return elapsed;
}

static async Task WaitListeningAsync(int port, Stopwatch since)
{
    while (true)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync("127.0.0.1", port);
            return;
        }
        catch (SocketException) { }
        if (since.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"nothing listened on {port} within 60 s");
        await Task.Delay(5);
    }
}
