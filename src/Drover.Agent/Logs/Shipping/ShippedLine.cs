using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// One shipped log line, as a json_lines collector receives it:
/// <c>{"app":"/web","task":"…","host":"…","stream":"stdout","time":"2026-11-30T10:00:00.1234567Z","line":"…"}</c>.
/// <see cref="Truncated"/> is only written (true) for a line cut at <see cref="LineSplitter.DefaultMaxLineBytes"/>.
/// </summary>
public sealed record ShippedLine(
    [property: JsonPropertyName("app")] string App,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("stream")] string Stream,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("line")] string Line,
    [property: JsonPropertyName("truncated")] bool? Truncated = null)
{
    /// <summary>RFC 3339 in UTC with 100 ns precision (Docker's json-file writes RFC 3339 with nanoseconds).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>One line cut by a <see cref="LineSplitter"/>, as the JSON line to queue.</summary>
    public static byte[] JsonLine(string app, string task, string host, string stream, DateTimeOffset at, SplitLine line) =>
        new ShippedLine(app, task, host, stream, FormatTime(at), line.Text, line.Truncated ? true : null).ToJsonLine();

    /// <summary>The line as one line of JSON, with its newline: control characters and quotes escaped, never a raw newline.</summary>
    public byte[] ToJsonLine()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, LogShipJsonContext.Default.ShippedLine);
        var bytes = new byte[json.Length + 1];
        json.CopyTo(bytes, 0);
        bytes[^1] = (byte)'\n';
        return bytes;
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShippedLine))]
internal partial class LogShipJsonContext : JsonSerializerContext;
