using System.Diagnostics;
using System.Globalization;
using Writer = Drover.State.CrashWriter.CrashWriter;

namespace Drover.State.Tests;

/// <summary>Every write a SqliteStateStore acknowledged must be on disk after the process is SIGKILLed mid-stream.</summary>
public sealed class SqliteCrashTests
{
    private const int Acks = 200;

    [Fact(Timeout = 60000)]
    public async Task Acknowledged_writes_survive_SIGKILL()
    {
        using var dir = new TempDirectory();
        var db = dir.File("state.db");
        using var child = Process.Start(new ProcessStartInfo(DotnetHost(), [typeof(Writer).Assembly.Location, db])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stderr = child.StandardError.ReadToEndAsync();

        long acked = 0;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            while (acked < Acks)
            {
                var line = await child.StandardOutput.ReadLineAsync(deadline.Token)
                    ?? throw new Xunit.Sdk.XunitException($"writer exited after {acked} acks: {await stderr}");
                Assert.Equal(acked + 1, long.Parse(line, CultureInfo.InvariantCulture));
                acked++;
            }
        }
        finally
        {
            if (!child.HasExited) child.Kill(); // SIGKILL, this process only
            await child.WaitForExitAsync();
        }
        Assert.Equal(128 + 9, child.ExitCode); // it died of SIGKILL, not of its own accord

        // Acks already in the pipe when the kill landed count too; a line cut short by the kill does not.
        var rest = (await child.StandardOutput.ReadToEndAsync()).Split('\n');
        foreach (var line in rest[..^1]) Assert.Equal(++acked, long.Parse(line, CultureInfo.InvariantCulture));

        await using var store = await SqliteStateStore.OpenAsync(db);
        var s = store.Current;
        Assert.True(s.Index >= acked, $"index {s.Index} < acknowledged {acked}");
        for (long i = 1; i <= acked; i++)
        {
            var e = s.Entry(Writer.Collection, Writer.KeyFor(i));
            Assert.True(e is not null, $"acknowledged write {i} is missing (store index {s.Index})");
            Assert.Equal((i, i), (e.CreateIndex, e.ModifyIndex));
            Assert.Equal(Writer.ValueFor(i), e.Value);
        }
        Assert.Equal(s.Index, s.Entry(Writer.Collection, "latest")!.ModifyIndex);
        Assert.Equal(s.Index + 1, s.Entries(Writer.Collection).Count); // nothing half-written beyond the last batch
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
