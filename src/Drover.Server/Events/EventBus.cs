using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Drover.Core.Json;
using Drover.Server.Storage;

namespace Drover.Server.Events;

/// <summary>
/// Fan-out of Marathon events to stream subscribers. Each subscriber has a bounded buffer; one that
/// falls behind is dropped (with a log line) instead of slowing the server or other subscribers.
/// </summary>
public sealed class EventBus(TimeProvider time, ServerLog log)
{
    public const int SubscriberBuffer = 4096;
    private readonly ConcurrentDictionary<long, Subscriber> _subscribers = new();
    private long _nextId;

    public sealed class Subscriber(long id, string remote, IReadOnlySet<string> types) : IDisposable
    {
        internal readonly Channel<ServerEvent> Channel = System.Threading.Channels.Channel.CreateBounded<ServerEvent>(
            new BoundedChannelOptions(SubscriberBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        internal Action<long>? OnDispose;
        public long Id { get; } = id;
        public string Remote { get; } = remote;
        public IReadOnlySet<string> Types { get; } = types;
        public ChannelReader<ServerEvent> Reader => Channel.Reader;
        public bool Wants(string type) => Types.Count == 0 || Types.Contains(type);
        public void Dispose() => OnDispose?.Invoke(Id);
    }

    public int SubscriberCount => _subscribers.Count;

    /// <summary>Ends every stream (events were lost for all of them): each client reconnects and re-reads the state.</summary>
    public void DropAll()
    {
        foreach (var s in _subscribers.Values) s.Dispose();
    }

    public Subscriber Subscribe(string remote, IReadOnlySet<string> types)
    {
        var s = new Subscriber(Interlocked.Increment(ref _nextId), remote, types);
        s.OnDispose = id => { if (_subscribers.TryRemove(id, out var gone)) gone.Channel.Writer.TryComplete(); };
        _subscribers[s.Id] = s;
        return s;
    }

    /// <summary>Adds eventType and timestamp and delivers to every interested subscriber of this server (events that are not store changes: stream attach/detach).</summary>
    public void Publish(string type, JsonObject payload, JsonObject? lightPayload = null)
    {
        if (_subscribers.IsEmpty) return;
        Deliver(Render(type, payload, lightPayload));
    }

    /// <summary>The event as it goes on the wire, stamped now: stored with the write that caused it, delivered by the projector.</summary>
    public ServerEvent Render(string type, JsonObject payload, JsonObject? lightPayload = null) =>
        new(type, Finish(type, payload), lightPayload is null ? null : Finish(type, lightPayload));

    /// <summary>Delivers to every interested subscriber; one whose buffer is full is dropped.</summary>
    public void Deliver(ServerEvent evt)
    {
        foreach (var s in _subscribers.Values)
        {
            if (!s.Wants(evt.Type)) continue;
            if (!s.Channel.Writer.TryWrite(evt))
            {
                log.SlowSubscriberDropped(s.Remote, SubscriberBuffer);
                s.Dispose();
            }
        }
    }

    /// <summary>
    /// The event as <paramref name="write"/> writes its fields, straight to JSON, then eventType and timestamp, stamped
    /// now: for the events every task writes several of (status changes), where building a JsonObject first cost more
    /// than the rest of the launch. The same text the JsonObject path gives (same order, same escaping).
    /// </summary>
    public ServerEvent Render<TState>(string type, TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        w.WriteStartObject();
        write(w, state);
        w.WriteString("eventType", type);
        w.WriteString("timestamp", MarathonTime.ToWire(time.GetUtcNow()));
        w.WriteEndObject();
        w.Flush();
        return new ServerEvent(type, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private string Finish(string type, JsonObject payload)
    {
        payload["eventType"] = type;
        payload["timestamp"] = MarathonTime.ToWire(time.GetUtcNow());
        return payload.ToJsonString();
    }

    /// <summary>The event types python3-marathon knows; anything else would end its iterator.</summary>
    public static readonly IReadOnlySet<string> KnownTypes = new HashSet<string>
    {
        "api_post_event", "status_update_event", "framework_message_event", "subscribe_event", "unsubscribe_event",
        "add_health_check_event", "remove_health_check_event", "failed_health_check_event", "health_status_changed_event",
        "unhealthy_task_kill_event", "group_change_success", "group_change_failed", "deployment_success", "deployment_failed",
        "deployment_info", "deployment_step_success", "deployment_step_failure", "event_stream_attached", "event_stream_detached",
        "app_terminated_event", "instance_changed_event", "unknown_instance_terminated_event", "unhealthy_instance_kill_event",
        "instance_health_changed_event", "pod_created_event", "pod_updated_event", "pod_deleted_event",
    };
}
