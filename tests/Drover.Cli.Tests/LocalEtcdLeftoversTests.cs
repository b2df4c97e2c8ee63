using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Cli.Commands.Roles;

namespace Drover.Cli.Tests;

/// <summary>drover up --ha killed with SIGKILL leaves its etcd members running; the next start stops them by PID.</summary>
public sealed class LocalEtcdLeftoversTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-etcd-leftovers-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try
            {
                if (!p.HasExited) p.Kill();
                p.WaitForExit(5_000);
            }
            catch (InvalidOperationException)
            {
                // gone already: nothing left to stop
            }
            p.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private Process StartEtcd(string memberDir)
    {
        var client = $"http://127.0.0.1:{FreePort()}";
        var peer = $"http://127.0.0.1:{FreePort()}";
        var psi = new ProcessStartInfo(LocalEtcd.FindExecutable() ?? throw new InvalidOperationException(LocalEtcd.NotInstalled))
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "--name", "n1", "--data-dir", memberDir, "--listen-client-urls", client, "--advertise-client-urls", client,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"n1={peer}" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _started.Add(p);
        return p;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_leftover_member_of_this_data_dir_is_stopped_and_anything_else_is_left_alone()
    {
        var etcd = StartEtcd(Path.Combine(_dir, "n1"));
        var other = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!; // a "recycled" PID
        _started.Add(other);
        var elsewhere = StartEtcd(Path.Combine(_dir, "other", "n1"));
        Assert.True(LocalEtcdLeftovers.IsOurMember(etcd.Id, _dir));
        Assert.False(LocalEtcdLeftovers.IsOurMember(other.Id, _dir));
        Assert.False(LocalEtcdLeftovers.IsOurMember(elsewhere.Id, _dir)); // etcd, but another data dir's
        LocalEtcdLeftovers.Record(_dir, [etcd.Id, other.Id, elsewhere.Id, 999_999_999]);

        var said = new List<string>();
        await LocalEtcdLeftovers.StopAsync(_dir, said.Add, CancellationToken.None);

        Assert.True(etcd.WaitForExit(10_000), "the leftover member stopped");
        Assert.False(other.HasExited);
        Assert.False(elsewhere.HasExited);
        Assert.Equal([$"stopping etcd pid {etcd.Id}, left running on {_dir} by an earlier drover up --ha that did not stop"], said);
        Assert.False(File.Exists(Path.Combine(_dir, "pids")));
    }

    [Fact]
    public async Task No_pid_file_no_garbage_no_trouble()
    {
        await LocalEtcdLeftovers.StopAsync(_dir, _ => Assert.Fail("nothing to stop"), CancellationToken.None);
        File.WriteAllText(Path.Combine(_dir, "pids"), "junk\n-5\n\n");
        await LocalEtcdLeftovers.StopAsync(_dir, _ => Assert.Fail("nothing to stop"), CancellationToken.None);
    }
}
