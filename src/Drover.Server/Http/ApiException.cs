using Drover.Api.Marathon;

namespace Drover.Server.Http;

/// <summary>An error with an HTTP status and Marathon's JSON error body.</summary>
public class ApiException(int status, string message, IReadOnlyList<ErrorDetail>? details = null) : Exception(message)
{
    public int Status { get; } = status;
    public IReadOnlyList<ErrorDetail>? Details { get; } = details;

    public static ApiException NotFound(string message) => new(404, message);
    public static ApiException BadRequest(string message) => new(400, message);
    public static ApiException Conflict(string message) => new(409, message);
}
