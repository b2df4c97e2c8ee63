using System.Collections.Immutable;
using Microsoft.Data.Sqlite;

namespace Drover.State;

/// <summary>
/// A durable store in one SQLite file. Everything is loaded into memory on open; reads are snapshot reads,
/// each batch is one fsynced transaction (WAL, synchronous=FULL), so an acknowledged write survives SIGKILL
/// and power loss. The file is locked exclusively while open: a second store (or process) cannot open it.
/// </summary>
public sealed class SqliteStateStore : IStateStore, IBatchPersister
{
    private const long SchemaVersion = 1;
    private static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _setIndex;
    private readonly StateStoreCore _core;
    private bool _faulted;

    private SqliteStateStore(SqliteConnection connection, StateSnapshot loaded)
    {
        _connection = connection;
        _upsert = Prepare("""
            INSERT INTO entries(collection, key, value, create_index, modify_index) VALUES ($c, $k, $v, $ci, $mi)
            ON CONFLICT(collection, key) DO UPDATE
            SET value = excluded.value, create_index = excluded.create_index, modify_index = excluded.modify_index
            """, "$c", "$k", "$v", "$ci", "$mi");
        _delete = Prepare("DELETE FROM entries WHERE collection = $c AND key = $k", "$c", "$k");
        _setIndex = Prepare("UPDATE meta SET value = $v WHERE name = 'index'", "$v");
        _core = new StateStoreCore(loaded, this, typeof(SqliteStateStore));
    }

    public string Path => _connection.DataSource;

    public StateSnapshot Current => _core.Current;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and loads it.</summary>
    /// <exception cref="SqliteException">The file is held by another store, or is not a usable database.</exception>
    public static Task<SqliteStateStore> OpenAsync(string path, CancellationToken ct = default) =>
        OpenAsync(path, DefaultBusyTimeout, ct);

    internal static async Task<SqliteStateStore> OpenAsync(string path, TimeSpan busyTimeout, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // disposing must really close the file and release its lock
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}", ct).ConfigureAwait(false);
            // Before WAL is entered: then SQLite keeps the WAL index in process memory and holds the file lock while open.
            await ExecuteAsync(connection, "PRAGMA locking_mode = EXCLUSIVE", ct).ConfigureAwait(false);
            var mode = await ScalarAsync(connection, "PRAGMA journal_mode = WAL", ct).ConfigureAwait(false);
            if (!"wal".Equals(mode as string, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"{path}: cannot enable WAL journal mode (got '{mode}').");
            await ExecuteAsync(connection, "PRAGMA synchronous = FULL", ct).ConfigureAwait(false);
            await EnsureSchemaAsync(connection, path, ct).ConfigureAwait(false);
            var loaded = await LoadAsync(connection, path, ct).ConfigureAwait(false);
            return new SqliteStateStore(connection, loaded);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops, CancellationToken ct = default) => _core.ApplyAsync(ops, ct);

    public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => _core.WatchAsync(sinceIndex, ct);

    public async ValueTask DisposeAsync()
    {
        await _core.CloseAsync().ConfigureAwait(false);
        _upsert.Dispose();
        _delete.Dispose();
        _setIndex.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    // Runs on the single writer. Synchronous on purpose: Microsoft.Data.Sqlite has no real async I/O.
    ValueTask IBatchPersister.PersistAsync(AppliedBatch batch)
    {
        if (_faulted)
            throw new InvalidOperationException($"{Path}: an earlier commit failed with an unknown outcome; reopen the store to reload its durable state.");

        using (var tx = _connection.BeginTransaction())
        {
            foreach (var change in batch.Changes)
            {
                var command = change.Entry is null ? _delete : _upsert;
                command.Transaction = tx;
                command.Parameters[0].Value = change.Collection;
                command.Parameters[1].Value = change.Key;
                if (change.Entry is { } entry)
                {
                    command.Parameters[2].Value = entry.Value;
                    command.Parameters[3].Value = entry.CreateIndex;
                    command.Parameters[4].Value = entry.ModifyIndex;
                }
                command.ExecuteNonQuery();
            }
            _setIndex.Transaction = tx;
            _setIndex.Parameters[0].Value = batch.Snapshot.Index;
            if (_setIndex.ExecuteNonQuery() != 1) throw new InvalidDataException($"{Path}: meta row 'index' is missing.");

            // Until here a failure rolls back cleanly (the using disposes tx). A failed COMMIT may or may not have
            // reached the disk, so memory and file could disagree: stop writing rather than guess.
            try
            {
                tx.Commit();
            }
            catch
            {
                _faulted = true;
                throw;
            }
        }
        return ValueTask.CompletedTask;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static async Task EnsureSchemaAsync(SqliteConnection connection, string path, CancellationToken ct)
    {
        var version = (long)(await ScalarAsync(connection, "PRAGMA user_version", ct).ConfigureAwait(false))!;
        if (version == SchemaVersion) return;
        if (version != 0) throw new InvalidDataException($"{path}: schema version {version}, this build knows {SchemaVersion}.");

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"""
            CREATE TABLE entries(
                collection TEXT NOT NULL,
                key TEXT NOT NULL,
                value BLOB NOT NULL,
                create_index INTEGER NOT NULL,
                modify_index INTEGER NOT NULL,
                PRIMARY KEY(collection, key)) WITHOUT ROWID;
            CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT INTO meta(name, value) VALUES ('index', 0);
            PRAGMA user_version = {SchemaVersion};
            """, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static async Task<StateSnapshot> LoadAsync(SqliteConnection connection, string path, CancellationToken ct)
    {
        var index = (long?)await ScalarAsync(connection, "SELECT value FROM meta WHERE name = 'index'", ct).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{path}: meta row 'index' is missing.");

        var collections = ImmutableDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, StateEntry>>();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT collection, key, value, create_index, modify_index FROM entries ORDER BY collection";
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        string? name = null;
        var entries = StateSnapshot.EmptyCollection.ToBuilder();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var collection = reader.GetString(0);
            if (collection != name)
            {
                if (name is not null) collections.Add(name, entries.ToImmutable());
                name = collection;
                entries = StateSnapshot.EmptyCollection.ToBuilder();
            }
            var entry = new StateEntry(reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetInt64(3), reader.GetInt64(4));
            if (entry.ModifyIndex > index || entry.CreateIndex > entry.ModifyIndex)
                throw new InvalidDataException($"{path}: {collection}/{entry.Key} has indexes {entry.CreateIndex}/{entry.ModifyIndex} but the store is at {index}.");
            entries.Add(entry.Key, entry);
        }
        if (name is not null) collections.Add(name, entries.ToImmutable());
        return new StateSnapshot(index, collections.ToImmutable());
    }

    private static Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct) =>
        ExecuteAsync(connection, null, sql, ct);

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }
}
