namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// Where a shipped line came from, so that a restarted agent can go on from the last line the collector took.
/// For a sandbox file (<see cref="Stream"/> "stdout"/"stderr"): <see cref="Offset"/> is the byte offset just past
/// the line in the file of rotation generation <see cref="Generation"/>. For a container's log stream
/// (<see cref="Stream"/> = <see cref="Docker"/>): <see cref="Offset"/> is Docker's timestamp of a message in ns
/// since the epoch, <see cref="Taken"/> how many messages with exactly that time are shipped whole (see
/// <see cref="Drover.Agent.Docker.DockerLogCursor"/>), and <see cref="Generation"/> is 0.
/// </summary>
public readonly record struct ShipPosition(string TaskId, string Stream, long Offset, long Generation = 0, int Taken = 0)
{
    /// <summary>A container stream's position at a <see cref="Drover.Agent.Docker.DockerLogCursor"/>.</summary>
    public static ShipPosition AtCursor(string taskId, Drover.Agent.Docker.DockerLogCursor cursor) =>
        new(taskId, Docker, cursor.UnixNanos, 0, cursor.TakenAtThatTime);

    /// <summary>Where a container's stream resumes (Docker's since and the messages to skip at that time).</summary>
    public Drover.Agent.Docker.DockerLogCursor Cursor => new(Offset, Taken);

    /// <summary>The <see cref="Stream"/> of a container's log stream (stdout and stderr are one stream there, ordered by time).</summary>
    public const string Docker = "docker";
}

/// <summary>A line in the <see cref="LogShipBuffer"/>: the JSON line and where it was read (null: not resumable, e.g. in tests).</summary>
public readonly record struct BufferedLine(byte[] Json, ShipPosition? Position);
