using System.Text;
using System.Text.Json.Serialization;

namespace Drover.State.Tests;

public sealed record Doc(string Name, int N = 0);

[JsonSerializable(typeof(Doc))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

internal static class Test
{
    public static readonly Collection<Doc> Docs = new("docs", TestJsonContext.Default.Doc);

    /// <summary>Generous: only reached when something is broken.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static StateOp Put(string key, string name, long? expected = null) => StateOp.Put(Docs, key, new Doc(name), expected);

    public static StateOp Del(string key, long? expected = null) => StateOp.Delete(Docs, key, expected);

    public static Task<StateSnapshot> ApplyAsync(this IStateStore store, params StateOp[] ops) => store.ApplyAsync(ops);

    /// <summary>
    /// What SQLite and the in-memory store do beyond the contract (kept so their indexes stay as they were): every
    /// successful batch counts, even one without effect.
    /// </summary>
    public static async Task AssertCountsEveryBatch(IStateStore store)
    {
        Assert.Equal(1, (await store.ApplyAsync(Put("a", "1"), Put("b", "1"), Put("c", "1"))).Index);
        Assert.Equal(2, (await store.ApplyAsync(Put("a", "2"))).Index);
        Assert.Equal(3, (await store.ApplyAsync(Del("missing"))).Index);
        Assert.Equal(4, (await store.ApplyAsync([])).Index);
        Assert.Equal(4, store.Current.Index);
    }

    /// <summary>Index, then every collection and entry in order, values as text: equal strings mean equal snapshots.</summary>
    public static string Dump(StateSnapshot s)
    {
        var sb = new StringBuilder().Append("index ").Append(s.Index).Append('\n');
        foreach (var (name, entries) in s.Collections.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            sb.Append(name).Append(" (").Append(entries.Count).Append(")\n");
            foreach (var e in entries.Values)
                sb.Append("  ").Append(e.Key).Append(' ').Append(e.CreateIndex).Append('/').Append(e.ModifyIndex)
                  .Append(' ').Append(Convert.ToHexString(e.Value)).Append('\n');
        }
        return sb.ToString();
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drover-state-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
