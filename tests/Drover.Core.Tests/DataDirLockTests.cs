using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Hosting;
using Holder = Drover.Core.LockHolder.LockHolder;

namespace Drover.Core.Tests;

public sealed class DataDirLockTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "drover-lock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void A_second_lock_on_the_directory_fails_naming_the_holder_until_the_first_is_released()
    {
        using (var held = DataDirLock.Acquire(_dir))
        {
            Assert.Equal(Environment.ProcessId, DataDirLock.ReadHolderPid(_dir));
            var e = Assert.Throws<DataDirLockedException>(() => DataDirLock.Acquire(_dir));
            Assert.Equal(_dir, e.Directory);
            Assert.Equal(Environment.ProcessId, e.HolderPid);
            Assert.Equal($"data directory {_dir} is in use by another drover process (pid {Environment.ProcessId})", e.Message);
            // a different spelling of the same directory is the same lock
            Assert.Throws<DataDirLockedException>(() => DataDirLock.Acquire(_dir + "/./"));
        }
        using var again = DataDirLock.Acquire(_dir);
        Assert.Equal(_dir, again.Directory);
    }

    [Fact]
    public void Dispose_is_idempotent_and_an_unreadable_pid_is_reported_as_unknown()
    {
        Assert.Null(DataDirLock.ReadHolderPid(_dir)); // no lock file yet
        var held = DataDirLock.Acquire(_dir);
        Truncate(held.LockFile); // as if the holder had not written its pid yet
        var e = Assert.Throws<DataDirLockedException>(() => DataDirLock.Acquire(_dir));
        Assert.Null(e.HolderPid);
        Assert.Equal($"data directory {_dir} is in use by another drover process", e.Message);
        held.Dispose();
        held.Dispose();
        DataDirLock.Acquire(_dir).Dispose();
    }

    [Fact(Timeout = 60000)]
    public async Task The_lock_of_a_SIGKILLed_holder_is_released_by_the_kernel()
    {
        using var child = Process.Start(new ProcessStartInfo(DotnetHost(), [typeof(Holder).Assembly.Location, _dir])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stderr = child.StandardError.ReadToEndAsync();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            var line = await child.StandardOutput.ReadLineAsync(deadline.Token);
            Assert.True(line == Holder.Ready, $"holder said '{line}': {(line is null ? await stderr : "")}");

            var e = Assert.Throws<DataDirLockedException>(() => DataDirLock.Acquire(_dir));
            Assert.Equal(child.Id, e.HolderPid);
            Assert.Contains($"(pid {child.Id})", e.Message);
        }
        finally
        {
            if (!child.HasExited) child.Kill(); // SIGKILL, this child only
            await child.WaitForExitAsync();
        }
        Assert.Equal(128 + 9, child.ExitCode); // it died of SIGKILL, without releasing anything itself

        using var mine = DataDirLock.Acquire(_dir);
        Assert.Equal(Environment.ProcessId, DataDirLock.ReadHolderPid(_dir)); // the dead holder's pid is gone
    }

    [Fact(Timeout = 30000)]
    public async Task Children_do_not_inherit_the_lock()
    {
        // an agent's tasks outlive it: if they inherited the lock's descriptor, a restarted agent could never lock its directory
        var held = DataDirLock.Acquire(_dir);
        using var child = Process.Start(new ProcessStartInfo("sh", ["-c", "read line"]) { RedirectStandardInput = true, UseShellExecute = false })!;
        try
        {
            held.Dispose();
            Assert.False(child.HasExited);
            DataDirLock.Acquire(_dir).Dispose();
        }
        finally
        {
            if (!child.HasExited) child.Kill();
            await child.WaitForExitAsync();
        }
    }

    [Fact]
    public void The_listen_probe_names_a_taken_address_and_passes_a_free_one()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endpoint = (IPEndPoint)taken.LocalEndpoint;
        var e = Assert.Throws<ListenAddressInUseException>(() => ListenProbe.ThrowIfTcpInUse(endpoint, ListenAddressInUseException.Http));
        Assert.Equal($"127.0.0.1:{endpoint.Port}", e.Address);
        Assert.Equal("http", e.Listener);
        Assert.Equal($"127.0.0.1:{endpoint.Port} (http) is already in use by another program", e.Message);
        Assert.True(ListenAddressInUseException.IsAddressInUse(e));

        taken.Stop();
        ListenProbe.ThrowIfTcpInUse(endpoint, ListenAddressInUseException.Http);
        // and it let go: the port can be listened on again right away
        using var after = new TcpListener(endpoint);
        after.Start();
    }

    [Fact]
    public void Address_in_use_is_found_however_deeply_it_is_wrapped()
    {
        var inUse = new SocketException((int)SocketError.AddressAlreadyInUse);
        Assert.True(ListenAddressInUseException.IsAddressInUse(new IOException("Failed to bind", new InvalidOperationException("in use", inUse))));
        Assert.True(ListenAddressInUseException.IsAddressInUse(new AggregateException(new TimeoutException(), inUse)));
        Assert.False(ListenAddressInUseException.IsAddressInUse(new IOException("x", new SocketException((int)SocketError.AccessDenied))));
    }

    /// <summary>Empties a file from another process: opening it here would take .NET's own (conflicting) flock.</summary>
    private static void Truncate(string file)
    {
        using var p = Process.Start(new ProcessStartInfo("truncate", ["-s", "0", file]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>The dotnet host that runs these tests: `dotnet test` exports it; otherwise we may be it; else PATH.</summary>
    private static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli)) return fromCli;
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
