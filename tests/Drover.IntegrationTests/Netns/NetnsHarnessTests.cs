using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;

namespace Drover.IntegrationTests.Netns;

/// <summary>The network-namespace hosts themselves: addresses, reachability, cut and heal, cleanup (also of a crashed run's leftovers).</summary>
public sealed class NetnsHarnessTests
{
    [Fact(Timeout = 120_000)]
    public async Task Hosts_reach_each_other_until_cut_off_and_again_after_healing()
    {
        NetnsHost a, b;
        int serverPid;
        string[] names;
        await using (var net = await NetnsNetwork.CreateAsync())
        {
            a = await net.AddHostAsync("a");
            b = await net.AddHostAsync("b");
            Assert.Equal($"10.200.{net.Subnet}.1", a.Address.ToString());
            Assert.Equal($"10.200.{net.Subnet}.2", b.Address.ToString());
            Assert.StartsWith($"drv{Environment.ProcessId}-{net.Subnet}-", a.Namespace);

            await using var web = a.Start("/usr/bin/python3", ["-m", "http.server", "--bind", a.Address.ToString(), "8000"]);
            serverPid = web.Pid;
            using var fromB = b.CreateHttpClient(new Uri($"http://{a.Address}:8000"), TimeSpan.FromSeconds(3));
            await Eventually.AsyncAssert(async () => (await fromB.GetAsync("/")).IsSuccessStatusCode, TimeSpan.FromSeconds(30),
                "b reaches a's web server", () => web.FormatOutput());

            await b.CutAsync();
            Assert.True(b.IsCut);
            // packets are lost, not refused: the attempt times out instead of failing fast
            using var fresh = b.CreateHttpClient(new Uri($"http://{a.Address}:8000"), TimeSpan.FromSeconds(2));
            var failure = await Record.ExceptionAsync(() => fresh.GetAsync("/"));
            Assert.True(failure is TaskCanceledException or HttpRequestException, $"expected a timeout, got {failure?.GetType().Name ?? "an answer"}");

            await b.HealAsync();
            await Eventually.AsyncAssert(async () => (await fresh.GetAsync("/")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "b reaches a again after healing");

            names = [a.Namespace, b.Namespace, net.SwitchNamespace];
        }
        var left = IpCommand.ListNamespaces();
        foreach (var n in names) Assert.DoesNotContain(n, left);
        Assert.False(Directory.Exists($"/proc/{serverPid}"), $"pid {serverPid} inside a removed host still runs");
    }

    [Fact(Timeout = 60_000)]
    public async Task Leftovers_of_a_dead_test_process_are_removed()
    {
        var pid = FindDeadPid();
        var ns = $"drv{pid}-77-left";
        await IpCommand.RunAsync("netns", "add", ns);
        try
        {
            await using var sleeper = DroverProcess.StartExecutable(IpCommand.IpPath, ["netns", "exec", ns, "/bin/sleep", "300"]);
            await Eventually.AsyncAssert(() => Task.FromResult(IpCommand.PidsIn(ns).Contains(sleeper.Pid)), TimeSpan.FromSeconds(10), "sleep runs inside the leftover");
            NetnsNetwork.RemoveLeftovers();
            Assert.DoesNotContain(ns, IpCommand.ListNamespaces());
            await sleeper.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await IpCommand.TryRunAsync("netns", "del", ns);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Parallel_networks_get_different_subnets()
    {
        await using var n1 = await NetnsNetwork.CreateAsync();
        await using var n2 = await NetnsNetwork.CreateAsync();
        Assert.NotEqual(n1.Subnet, n2.Subnet);
    }

    private static int FindDeadPid()
    {
        for (var pid = 4_000_000; pid > 300_000; pid -= 7919)
            if (!Directory.Exists($"/proc/{pid}")) return pid;
        throw new InvalidOperationException("no free pid found");
    }
}
