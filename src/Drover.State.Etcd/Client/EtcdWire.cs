using System.Text.Json.Serialization;

namespace Drover.State.Etcd.Client;

// The etcd v3 API as its JSON gateway (grpc-gateway) speaks it: snake_case field names, int64 as strings,
// bytes as base64, enums by name, default values omitted. Only the fields Drover uses.

public sealed record EtcdHeader(long Revision = 0, ulong MemberId = 0, ulong ClusterId = 0, ulong RaftTerm = 0);

public sealed record EtcdKeyValue(byte[] Key, byte[]? Value = null, long CreateRevision = 0, long ModRevision = 0, long Version = 0, long Lease = 0);

public sealed record RangeRequest(byte[] Key, byte[]? RangeEnd = null, long Limit = 0, long Revision = 0, bool CountOnly = false);

public sealed record RangeResponse(EtcdHeader? Header = null, IReadOnlyList<EtcdKeyValue>? Kvs = null, bool More = false, long Count = 0);

public sealed record PutRequest(byte[] Key, byte[] Value, long Lease = 0);

public sealed record PutResponse(EtcdHeader? Header = null);

public sealed record DeleteRangeRequest(byte[] Key, byte[]? RangeEnd = null);

public sealed record DeleteRangeResponse(EtcdHeader? Header = null, long Deleted = 0);

/// <summary>One condition of a transaction; exactly one of the target fields is meaningful, chosen by <see cref="Target"/>.</summary>
public sealed record EtcdCompare(
    byte[] Key,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CompareTarget>))] CompareTarget Target,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CompareResult>))] CompareResult Result = CompareResult.EQUAL,
    long? Version = null, long? CreateRevision = null, long? ModRevision = null, byte[]? Value = null)
{
    public static EtcdCompare ModRevisionIs(byte[] key, long revision) => new(key, CompareTarget.MOD, ModRevision: revision);
    public static EtcdCompare CreateRevisionIs(byte[] key, long revision) => new(key, CompareTarget.CREATE, CreateRevision: revision);
    public static EtcdCompare VersionIs(byte[] key, long version) => new(key, CompareTarget.VERSION, Version: version);
    public static EtcdCompare ValueIs(byte[] key, byte[] value) => new(key, CompareTarget.VALUE, Value: value);
}

#pragma warning disable CA1707 // the wire names of etcd's enums
public enum CompareTarget { VERSION, CREATE, MOD, VALUE, LEASE }
public enum CompareResult { EQUAL, GREATER, LESS, NOT_EQUAL }
#pragma warning restore CA1707

/// <summary>One operation of a transaction branch: set exactly one.</summary>
public sealed record RequestOp(RangeRequest? RequestRange = null, PutRequest? RequestPut = null, DeleteRangeRequest? RequestDeleteRange = null);

public sealed record ResponseOp(RangeResponse? ResponseRange = null, PutResponse? ResponsePut = null, DeleteRangeResponse? ResponseDeleteRange = null);

public sealed record TxnRequest(IReadOnlyList<EtcdCompare> Compare, IReadOnlyList<RequestOp> Success, IReadOnlyList<RequestOp> Failure);

public sealed record TxnResponse(EtcdHeader? Header = null, bool Succeeded = false, IReadOnlyList<ResponseOp>? Responses = null);

public sealed record CompactionRequest(long Revision, bool Physical = false);

public sealed record CompactionResponse(EtcdHeader? Header = null);

public sealed record LeaseGrantRequest([property: JsonPropertyName("TTL")] long Ttl, [property: JsonPropertyName("ID")] long Id = 0);

public sealed record LeaseGrantResponse(
    EtcdHeader? Header = null, [property: JsonPropertyName("ID")] long Id = 0, [property: JsonPropertyName("TTL")] long Ttl = 0, string? Error = null);

public sealed record LeaseIdRequest([property: JsonPropertyName("ID")] long Id);

/// <summary>TTL 0 means the lease no longer exists (expired or revoked).</summary>
public sealed record LeaseKeepAliveResponse(EtcdHeader? Header = null, [property: JsonPropertyName("ID")] long Id = 0, [property: JsonPropertyName("TTL")] long Ttl = 0);

public sealed record LeaseKeepAliveEnvelope(LeaseKeepAliveResponse? Result = null);

public sealed record LeaseRevokeResponse(EtcdHeader? Header = null);

public sealed record EmptyRequest;

public sealed record StatusResponse(
    EtcdHeader? Header = null, string? Version = null, [property: JsonPropertyName("dbSize")] long DbSize = 0,
    ulong Leader = 0, [property: JsonPropertyName("raftIndex")] ulong RaftIndex = 0, [property: JsonPropertyName("raftTerm")] ulong RaftTerm = 0,
    IReadOnlyList<string>? Errors = null);

public sealed record EtcdMember(
    [property: JsonPropertyName("ID")] ulong Id = 0, string? Name = null,
    [property: JsonPropertyName("peerURLs")] IReadOnlyList<string>? PeerUrls = null,
    [property: JsonPropertyName("clientURLs")] IReadOnlyList<string>? ClientUrls = null, bool IsLearner = false);

public sealed record MemberListResponse(EtcdHeader? Header = null, IReadOnlyList<EtcdMember>? Members = null);

public sealed record WatchCreateRequest(byte[] Key, byte[]? RangeEnd = null, long StartRevision = 0, bool ProgressNotify = false, bool PrevKv = false);

public sealed record WatchRequest(WatchCreateRequest CreateRequest);

#pragma warning disable CA1707
public enum EventType { PUT, DELETE }
#pragma warning restore CA1707

public sealed record EtcdEvent(
    [property: JsonConverter(typeof(JsonStringEnumConverter<EventType>))] EventType Type = EventType.PUT, EtcdKeyValue? Kv = null);

public sealed record WatchResponse(
    EtcdHeader? Header = null, long WatchId = 0, bool Created = false, bool Canceled = false, long CompactRevision = 0,
    string? CancelReason = null, IReadOnlyList<EtcdEvent>? Events = null);

public sealed record WatchEnvelope(WatchResponse? Result = null, EtcdErrorBody? Error = null);

/// <summary>What the gateway answers instead of a response when etcd refuses a request.</summary>
public sealed record EtcdErrorBody(string? Error = null, string? Message = null, int Code = 0);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(RangeRequest))]
[JsonSerializable(typeof(RangeResponse))]
[JsonSerializable(typeof(PutRequest))]
[JsonSerializable(typeof(PutResponse))]
[JsonSerializable(typeof(DeleteRangeRequest))]
[JsonSerializable(typeof(DeleteRangeResponse))]
[JsonSerializable(typeof(TxnRequest))]
[JsonSerializable(typeof(TxnResponse))]
[JsonSerializable(typeof(CompactionRequest))]
[JsonSerializable(typeof(CompactionResponse))]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LeaseGrantResponse))]
[JsonSerializable(typeof(LeaseIdRequest))]
[JsonSerializable(typeof(LeaseKeepAliveEnvelope))]
[JsonSerializable(typeof(LeaseRevokeResponse))]
[JsonSerializable(typeof(EmptyRequest))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(MemberListResponse))]
[JsonSerializable(typeof(WatchRequest))]
[JsonSerializable(typeof(WatchEnvelope))]
[JsonSerializable(typeof(EtcdErrorBody))]
internal sealed partial class EtcdJsonContext : JsonSerializerContext;
