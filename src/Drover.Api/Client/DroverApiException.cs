using System.Net;

namespace Drover.Api.Client;

/// <summary>A non-success answer from the server, with its message (and Marathon's validation details).</summary>
public sealed class DroverApiException(HttpStatusCode status, string message, IReadOnlyList<Marathon.ErrorDetail>? details = null)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public IReadOnlyList<Marathon.ErrorDetail> Details { get; } = details ?? [];

    public override string ToString() =>
        Details.Count == 0 ? $"{(int)Status}: {Message}"
        : $"{(int)Status}: {Message}: " + string.Join("; ", Details.Select(d => $"{d.Path}: {string.Join(", ", d.Errors)}"));
}
