using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Json;

namespace Drover.Server.Http;

/// <summary>A cap on a JSON document the API accepts: refused with 413 and a message naming the limit and the size.</summary>
public sealed record BodyLimit(long Bytes, string Subject, string Why)
{
    /// <param name="size">The size, or null when reading stopped at the limit without knowing the total.</param>
    /// <param name="where">Which document, when the subject alone does not say ("at /apps(0)").</param>
    public ApiException TooLarge(long? size, string? where = null)
    {
        var what = where is null ? Subject : $"{Subject} {where}";
        var actual = size is { } n ? $"{n} bytes" : $"more than {Bytes} bytes";
        return new ApiException(413, $"{what} is {actual}; the limit is {Bytes} bytes ({Why})");
    }
}

public static class BodyLimits
{
    /// <summary>
    /// Marathon keeps each app definition in a ZooKeeper node, 1 MiB at most by default. A bigger
    /// app (a 20 MiB cmd) would be stored in every version and could never start.
    /// </summary>
    public static readonly BodyLimit App = new(1024 * 1024, "App definition", "1 MiB, as ZooKeeper's node limit under Marathon");

    /// <summary>Any other JSON body, group updates included (each of their apps is still held to <see cref="App"/>).</summary>
    public static readonly BodyLimit Json = new(16 * 1024 * 1024, "Request body", "16 MiB");

    /// <summary>The definition as it would be stored (defaults filled, a PATCH merged) must fit too.</summary>
    public static void CheckStored(AppDefinition app)
    {
        var size = JsonSerializer.SerializeToUtf8Bytes(app, CoreJsonContext.Default.AppDefinition).Length;
        if (size > App.Bytes) throw App.TooLarge(size, $"of {app.Id}");
    }
}
