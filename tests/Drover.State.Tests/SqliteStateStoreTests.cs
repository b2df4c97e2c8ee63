using Microsoft.Data.Sqlite;

namespace Drover.State.Tests;

public sealed class SqliteStateStoreTests : StateStoreContractTests
{
    private readonly TempDirectory _dir = new();

    private string DbPath => _dir.File("state.db");

    protected override async Task<IStateStore> CreateStoreAsync() => await SqliteStateStore.OpenAsync(DbPath);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = 30000)]
    public async Task Each_batch_raises_the_index_by_exactly_one_even_without_effect() => await Test.AssertCountsEveryBatch(Store);

    [Fact(Timeout = 30000)]
    public async Task Reopening_gives_the_same_data_and_index()
    {
        await Store.ApplyAsync(Test.Put("a", "1"), Test.Put("b", "1"), new StateOp("other", "x", []));
        await Store.ApplyAsync(Test.Put("a", "2"), Test.Del("b"));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.ApplyAsync(Test.Put("c", "lost"), Test.Put("a", "3", expected: 1)));
        await Store.ApplyAsync([]);
        var before = Test.Dump(Store.Current);
        await Store.DisposeAsync();

        await using var reopened = await SqliteStateStore.OpenAsync(DbPath);

        Assert.Equal(before, Test.Dump(reopened.Current));
        Assert.Equal(3, reopened.Current.Index);
        Assert.Equal((1L, 2L), (reopened.Current.Entry("docs", "a")!.CreateIndex, reopened.Current.Entry("docs", "a")!.ModifyIndex));
        Assert.Empty(reopened.Current.Entry("other", "x")!.Value);
        Assert.Equal(4, (await reopened.ApplyAsync(Test.Put("a", "3", expected: 2))).Index);
    }

    [Fact(Timeout = 30000)]
    public async Task A_second_store_cannot_open_a_file_that_is_in_use()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));

        var ex = await Assert.ThrowsAsync<SqliteException>(() => SqliteStateStore.OpenAsync(DbPath, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Equal(5, ex.SqliteErrorCode); // SQLITE_BUSY
        Assert.Equal(2, (await Store.ApplyAsync(Test.Put("a", "2"))).Index);
    }

    [Fact(Timeout = 30000)]
    public async Task The_file_can_be_reopened_once_the_store_is_disposed()
    {
        await Store.ApplyAsync(Test.Put("a", "1"));
        await Store.DisposeAsync();

        await using (var second = await SqliteStateStore.OpenAsync(DbPath)) await second.ApplyAsync(Test.Put("a", "2"));
        await using var third = await SqliteStateStore.OpenAsync(DbPath);

        Assert.Equal("2", third.Current.Get(Test.Docs, "a")!.Name);
    }

    [Fact(Timeout = 30000)]
    public async Task A_file_from_a_newer_schema_is_refused()
    {
        await Store.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => SqliteStateStore.OpenAsync(DbPath));
    }
}
