using System.Globalization;
using System.Text;

namespace Drover.State.CrashWriter;

/// <summary>
/// Writes batches to a SqliteStateStore until killed, printing each acknowledged index on its own line.
/// Batch i (on a fresh file) writes key "k{i:D8}" = "i" and overwrites "latest", and must be acknowledged as index i.
/// </summary>
public static class CrashWriter
{
    public const string Collection = "crash";

    public static string KeyFor(long index) => "k" + index.ToString("D8", CultureInfo.InvariantCulture);

    public static byte[] ValueFor(long index) => Encoding.UTF8.GetBytes(index.ToString(CultureInfo.InvariantCulture));

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: Drover.State.CrashWriter <database path>");
            return 2;
        }
        await using var store = await SqliteStateStore.OpenAsync(args[0]);
        var stdout = Console.Out;
        for (var i = store.Current.Index + 1; ; i++)
        {
            var snapshot = await store.ApplyAsync(
            [
                new StateOp(Collection, KeyFor(i), ValueFor(i)),
                new StateOp(Collection, "latest", ValueFor(i)),
            ]);
            if (snapshot.Index != i)
            {
                await Console.Error.WriteLineAsync($"batch {i} was acknowledged as index {snapshot.Index}");
                return 3;
            }
            await stdout.WriteLineAsync(i.ToString(CultureInfo.InvariantCulture));
            await stdout.FlushAsync();
        }
    }
}
