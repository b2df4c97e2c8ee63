using Drover.State.Etcd;
using Drover.State.Etcd.Client;

namespace Drover.State.Tests.Etcd;

/// <summary>
/// Random batches (puts, deletes, prefix deletes, preconditions right and wrong) must leave the etcd store with the
/// same documents and outcomes as the in-memory store. Indexes differ by design (etcd's revision skips batches
/// without effect), so preconditions are drawn per store from each one's own snapshot.
/// </summary>
public sealed class EtcdDifferentialTests(SingleEtcd etcd) : IClassFixture<SingleEtcd>
{
    private static readonly string[] CollectionNames = ["a", "b"];
    private static readonly string[] Keys = ["x", "x/1", "x/2", "xy", "y", "y/1", "z"];
    private static readonly string[] Prefixes = ["", "x", "x/", "y/1", "q"];

    [Theory(Timeout = 60000)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Random_batches_give_the_same_documents_as_the_in_memory_store(int seed)
    {
        var random = new Random(seed);
        using var client = EtcdClient.Create(etcd.Cluster.Endpoints);
        var prefix = SingleEtcd.NewPrefix();
        await using var memory = new InMemoryStateStore();
        await using var store = await EtcdStateStore.OpenAsync(client, new EtcdStateStoreOptions { Prefix = prefix });
        var outcomes = new Dictionary<string, int>();

        for (var batch = 0; batch < 120; batch++)
        {
            var plan = Enumerable.Range(0, random.Next(5)).Select(_ => RandomOp(random)).ToArray();
            var expected = await OutcomeAsync(memory, plan);
            var actual = await OutcomeAsync(store, plan);

            Assert.Equal(expected, actual);
            Assert.Equal(Documents(memory.Current), Documents(store.Current));
            outcomes[expected.Split(' ')[0]] = outcomes.GetValueOrDefault(expected.Split(' ')[0]) + 1;
        }

        await using var reloaded = await EtcdStateStore.OpenAsync(client, new EtcdStateStoreOptions { Prefix = prefix });
        Assert.Equal(Documents(memory.Current), Documents(reloaded.Current));
        Assert.True(outcomes.GetValueOrDefault("ok") > 30 && outcomes.GetValueOrDefault("PreconditionFailedException") > 10, string.Join(", ", outcomes));
    }

    /// <summary>An op whose precondition is resolved against the store it is sent to.</summary>
    private sealed record PlannedOp(string Collection, string Key, byte[]? Value, int Precondition, bool Prefix)
    {
        public StateOp Resolve(StateSnapshot s)
        {
            if (Prefix) return StateOp.DeletePrefix(Collection, Key);
            var existing = s.Entry(Collection, Key)?.ModifyIndex ?? 0;
            long? expected = Precondition switch { 0 => existing, 1 => 0, 2 => existing + 1000, _ => null };
            return new StateOp(Collection, Key, Value, expected);
        }
    }

    private static async Task<string> OutcomeAsync(IStateStore store, PlannedOp[] plan)
    {
        var ops = plan.Select(p => p.Resolve(store.Current)).ToArray();
        try
        {
            await store.ApplyAsync(ops);
            return "ok";
        }
        catch (PreconditionFailedException ex)
        {
            return $"{nameof(PreconditionFailedException)} {ex.Collection}/{ex.Key}";
        }
    }

    private static string Documents(StateSnapshot s) =>
        string.Join("\n", s.Collections.OrderBy(c => c.Key, StringComparer.Ordinal).SelectMany(c =>
            c.Value.Values.Select(e => $"{c.Key}/{e.Key}={Convert.ToHexString(e.Value)}")));

    private static PlannedOp RandomOp(Random random)
    {
        var collection = CollectionNames[random.Next(CollectionNames.Length)];
        var precondition = random.Next(6); // 0 right, 1 create-only, 2 stale, else none
        return random.Next(10) switch
        {
            < 5 => new PlannedOp(collection, Keys[random.Next(Keys.Length)], RandomValue(random), precondition, false),
            < 8 => new PlannedOp(collection, Keys[random.Next(Keys.Length)], null, precondition, false),
            _ => new PlannedOp(collection, Prefixes[random.Next(Prefixes.Length)], null, 3, true),
        };
    }

    private static byte[] RandomValue(Random random)
    {
        var value = new byte[random.Next(6)];
        random.NextBytes(value);
        return value;
    }
}
