using System.Text;

namespace Drover.Health;

internal static class ProbeOutput
{
    /// <summary>Reads at most <paramref name="max"/> bytes as UTF-8 and drains the rest (a program must not block on a full pipe).</summary>
    public static async Task<string> ReadLimitedAsync(Stream s, int max, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(Math.Max(max, 1), 64 * 1024) + 1];
        var kept = new MemoryStream();
        int n;
        while ((n = await s.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var room = max - (int)kept.Length;
            if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
        }
        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }
}
