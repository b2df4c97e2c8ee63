using System.Net;

namespace Drover.Agent.Docker;

/// <summary>
/// The Docker daemon refused or failed a request. <see cref="Exception.Message"/> names the operation, the
/// HTTP status and Docker's own message, e.g. "docker pull 127.0.0.1:5000/app:1: 401 Unauthorized: ... no basic auth credentials".
/// </summary>
public sealed class DockerApiException(string operation, HttpStatusCode? status, string message, Exception? inner = null)
    : Exception(Format(operation, status, message), inner)
{
    public string Operation { get; } = operation;
    /// <summary>Null when the failure came inside a 200 stream (a pull's progress) or from the transport.</summary>
    public HttpStatusCode? Status { get; } = status;
    /// <summary>Docker's message (the "message" of its error body), or the transport's.</summary>
    public string DockerMessage { get; } = message;

    public bool IsNotFound => Status == HttpStatusCode.NotFound;

    private static string Format(string operation, HttpStatusCode? status, string message) =>
        status is { } s ? $"docker {operation}: {(int)s} {ReasonPhrase(s)}: {message}" : $"docker {operation}: {message}";

    private static string ReasonPhrase(HttpStatusCode s) => s switch
    {
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.BadRequest => "Bad Request",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.NotModified => "Not Modified",
        _ => s.ToString(),
    };
}

/// <summary>The daemon sent something that is not the Docker Engine API's framing or JSON.</summary>
public sealed class DockerProtocolException(string message, Exception? inner = null) : Exception(message, inner);
