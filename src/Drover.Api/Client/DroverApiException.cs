using System.Net;

namespace Drover.Api.Client;

/// <summary>A non-success answer from the server, with its message (and Marathon's validation details).</summary>
public sealed class DroverApiException(HttpStatusCode status, string message, IReadOnlyList<Marathon.ErrorDetail>? details = null, bool notApplied = false)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The server said (<see cref="Client.NotApplied.Header"/>) that the write was certainly not applied.</summary>
    public bool NotApplied { get; } = notApplied;
    public IReadOnlyList<Marathon.ErrorDetail> Details { get; } = details ?? [];

    public override string ToString() =>
        Details.Count == 0 ? $"{(int)Status}: {Message}"
        : $"{(int)Status}: {Message}: " + string.Join("; ", Details.Select(d => $"{d.Path}: {string.Join(", ", d.Errors)}"));
}
