using System.Text.Json.Serialization.Metadata;

namespace Drover.State;

/// <summary>One write in a batch. Value null = delete. ExpectedModifyIndex: 0 = must not exist, null = unconditional.</summary>
public sealed record StateOp(string Collection, string Key, byte[]? Value, long? ExpectedModifyIndex = null)
{
    public static StateOp Put<T>(Collection<T> c, string key, T value, long? expectedModifyIndex = null) where T : class =>
        new(c.Name, key, c.Serialize(value), expectedModifyIndex) { Written = c.KeepsWrittenValue ? value : null };

    /// <summary>The value <see cref="Value"/> was serialised from, for a collection that keeps it (<see cref="Collection{T}.KeepsWrittenValue"/>).</summary>
    internal object? Written { get; init; }

    public static StateOp Delete<T>(Collection<T> c, string key, long? expectedModifyIndex = null) where T : class =>
        new(c.Name, key, null, expectedModifyIndex);

    /// <summary>Deletes every key that starts with <paramref name="prefix"/> (Key holds the prefix).</summary>
    public static StateOp DeletePrefix(string collection, string prefix) => new(collection, prefix, null) { IsPrefixDelete = true };

    public bool IsPrefixDelete { get; init; }

    /// <summary>
    /// A precondition only, writing nothing: no batch has written <paramref name="collection"/> after index
    /// <paramref name="sinceIndex"/> (its <see cref="ChangeMarkers"/> stamp is not newer). Fails with
    /// <see cref="ReadConflictException"/>. What a decision read, compared as it is written (optimistic concurrency).
    /// </summary>
    public static StateOp Unchanged(string collection, long sinceIndex) => new(collection, "", null, sinceIndex) { IsReadCheck = true };

    public bool IsReadCheck { get; init; }
}

/// <summary>A typed collection: name plus JSON contract, so snapshots hand out typed values.</summary>
public sealed class Collection<T>(string name, JsonTypeInfo<T> typeInfo) : ICollection where T : class
{
    public string Name { get; } = name;
    public JsonTypeInfo<T> TypeInfo { get; } = typeInfo;

    /// <summary>
    /// An entry written through <see cref="StateOp.Put{T}"/> hands out the very value that was written instead of decoding
    /// its bytes again: for a hot collection of immutable records whose JSON round-trips them exactly (a value that
    /// decodes differently would differ between the writing server and the others).
    /// </summary>
    public bool KeepsWrittenValue { get; init; }
    public byte[] Serialize(T value) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo);
    public T Deserialize(ReadOnlySpan<byte> json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, TypeInfo) ?? throw new InvalidDataException($"null document in {Name}");
    object ICollection.DeserializeObject(ReadOnlySpan<byte> json) => Deserialize(json);
}

public interface ICollection
{
    string Name { get; }
    object DeserializeObject(ReadOnlySpan<byte> json);
}
