namespace Drover.State.Tests;

/// <summary>Random op sequences must leave the in-memory and SQLite stores (and a reopened SQLite file) identical.</summary>
public sealed class DifferentialFuzzTests
{
    private static readonly string[] CollectionNames = ["a", "b"];
    private static readonly string[] Keys = ["x", "x/1", "x/2", "xy", "y", "y/1", "z"];
    private static readonly string[] Prefixes = ["", "x", "x/", "y/1", "q"];

    [Theory(Timeout = 30000)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_batches_give_identical_snapshots(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var path = dir.File("state.db");
        await using var memory = new InMemoryStateStore();
        var outcomes = new Dictionary<string, int>();

        await using (var sqlite = await SqliteStateStore.OpenAsync(path))
        {
            for (var batch = 0; batch < 150; batch++)
            {
                var ops = Enumerable.Range(0, random.Next(5)).Select(_ => RandomOp(random, memory.Current)).ToArray();

                var expected = await OutcomeAsync(memory, ops);
                var actual = await OutcomeAsync(sqlite, ops);

                Assert.Equal(expected, actual);
                Assert.Equal(Test.Dump(memory.Current), Test.Dump(sqlite.Current));
                outcomes[expected.Split(' ')[0]] = outcomes.GetValueOrDefault(expected.Split(' ')[0]) + 1;
            }
        }

        await using var reopened = await SqliteStateStore.OpenAsync(path);
        Assert.Equal(Test.Dump(memory.Current), Test.Dump(reopened.Current));
        Assert.True(outcomes.GetValueOrDefault("ok") > 30 && outcomes.GetValueOrDefault("PreconditionFailedException") > 10,
            "the generator should exercise both outcomes: " + string.Join(", ", outcomes));
    }

    private static async Task<string> OutcomeAsync(IStateStore store, StateOp[] ops)
    {
        try
        {
            return $"ok {(await store.ApplyAsync(ops)).Index}";
        }
        catch (PreconditionFailedException ex)
        {
            return $"{nameof(PreconditionFailedException)} {ex.Message}";
        }
    }

    private static StateOp RandomOp(Random random, StateSnapshot current)
    {
        var collection = CollectionNames[random.Next(CollectionNames.Length)];
        var key = Keys[random.Next(Keys.Length)];
        var existing = current.Entry(collection, key)?.ModifyIndex ?? 0;
        long? expected = random.Next(4) switch
        {
            0 => existing,                             // usually right (unless an earlier op in the batch moved it)
            1 => random.Next(2) == 0 ? 0 : existing + 1, // create-only, or stale
            _ => null,
        };
        return random.Next(10) switch
        {
            < 5 => new StateOp(collection, key, RandomValue(random), expected),
            < 8 => new StateOp(collection, key, null, expected),
            _ => StateOp.DeletePrefix(collection, Prefixes[random.Next(Prefixes.Length)]),
        };
    }

    private static byte[] RandomValue(Random random)
    {
        var value = new byte[random.Next(6)]; // includes empty values
        random.NextBytes(value);
        return value;
    }
}
