using Microsoft.Extensions.Logging;

namespace Drover.Server.Security;

/// <summary>Log lines about joins, tokens and TLS (ids 1xx, apart from <see cref="ServerLog"/>'s).</summary>
public sealed partial class SecurityLog(ILogger<SecurityLog> logger)
{
    [LoggerMessage(101, LogLevel.Warning, "refused an agent from {Remote}: {Reason}{Suppressed}")]
    public partial void AgentRefused(string remote, string reason, string suppressed);

    [LoggerMessage(102, LogLevel.Information, "TLS on {Url}: {Certificate}")]
    public partial void TlsListening(string url, string certificate);
}
