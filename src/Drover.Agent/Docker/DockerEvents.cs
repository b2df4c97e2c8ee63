using System.Text;
using System.Text.Json;

namespace Drover.Agent.Docker;

/// <summary>Reads GET /events: one JSON object per line.</summary>
public static class DockerEvents
{
    public static async IAsyncEnumerable<DockerEvent> ReadAsync(Stream stream,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (Parse(line) is { } e) yield return e;
        }
    }

    /// <summary>One line of the stream; null for a blank one; <see cref="DockerProtocolException"/> naming the line when it is not an event.</summary>
    public static DockerEvent? Parse(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            return JsonSerializer.Deserialize(line, DockerJsonContext.Default.DockerEvent)
                ?? throw new DockerProtocolException("an event line is null");
        }
        catch (JsonException e)
        {
            var shown = line.Length > 200 ? line[..200] + "…" : line;
            throw new DockerProtocolException($"not a Docker event: {shown} ({e.Message})", e);
        }
    }

    /// <summary>The moment of an event (timeNano when Docker sent it, else time in seconds).</summary>
    public static DateTimeOffset TimeOf(DockerEvent e) =>
        e.TimeNano > 0 ? DateTimeOffset.UnixEpoch.AddTicks(e.TimeNano / 100) : DateTimeOffset.FromUnixTimeSeconds(e.Time);
}
