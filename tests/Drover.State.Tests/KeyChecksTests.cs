namespace Drover.State.Tests;

public sealed class KeyChecksTests
{
    private static readonly string[] DocsOnly = [Test.Docs.Name];

    [Fact(Timeout = 10000)]
    public async Task Each_written_key_must_still_be_as_the_snapshot_had_it()
    {
        await using var store = new InMemoryStateStore();
        var decidedOn = await store.ApplyAsync(Test.Put("a", "1"), Test.Put("b", "1"));
        var a = decidedOn.Entry(Test.Docs.Name, "a")!.ModifyIndex;

        var ops = KeyChecks.Add(decidedOn, [Test.Put("a", "2"), Test.Del("b"), Test.Put("new", "1"), Test.Put("a", "3")], DocsOnly);

        Assert.Equal([a, a, 0L, null], ops.Select(o => o.ExpectedModifyIndex));
        // someone else changes "b" meanwhile: the batch decided on the older snapshot must not land
        await store.ApplyAsync(Test.Put("b", "other"));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.ApplyAsync(ops));
        Assert.Equal("other", store.Current.Get(Test.Docs, "b")!.Name);
        Assert.Equal("1", store.Current.Get(Test.Docs, "a")!.Name);
    }

    [Fact(Timeout = 10000)]
    public async Task Changes_to_keys_the_batch_does_not_write_let_it_land()
    {
        await using var store = new InMemoryStateStore();
        var decidedOn = await store.ApplyAsync(Test.Put("a", "1"), Test.Put("b", "1"));
        var ops = KeyChecks.Add(decidedOn, [Test.Put("a", "2"), Test.Put("a", "3")], DocsOnly);

        await store.ApplyAsync(Test.Put("b", "other"));
        await store.ApplyAsync(ops);

        Assert.Equal("3", store.Current.Get(Test.Docs, "a")!.Name);
    }

    [Fact] // synchronous and pure: xunit takes a timeout only on async tests
    public void Other_collections_read_checks_and_ops_with_a_precondition_are_left_alone()
    {
        var others = new Collection<Doc>("others", TestJsonContext.Default.Doc);
        StateOp[] ops = [StateOp.Put(others, "a", new Doc("x")), StateOp.Unchanged(Test.Docs.Name, 4), Test.Put("a", "y", expected: 7), StateOp.DeletePrefix(Test.Docs.Name, "p/")];

        Assert.Equal(ops, KeyChecks.Add(StateSnapshot.Empty, ops, DocsOnly));
    }
}
