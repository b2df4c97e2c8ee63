using System.Globalization;

namespace Drover.Agent.Logs.Shipping;

/// <summary>How lines reach the collector: one long-lived TCP stream of JSON lines (plain or inside TLS), or HTTP POSTs of batches.</summary>
public enum LogShipProtocol { Tcp, Http }

/// <summary>
/// Where an agent ships task logs (<c>--log-ship</c>): <c>tcp://HOST:PORT</c> (Logstash's tcp input with the
/// json_lines codec, Vector's socket source, Fluent Bit's tcp input) or <c>http(s)://HOST:PORT/path</c> (Vector's
/// http_server source, Logstash's http input), POSTed newline-delimited JSON.
/// </summary>
public sealed record LogShipTarget(LogShipProtocol Protocol, Uri Uri)
{
    public string Host => Uri.IdnHost;
    /// <summary>tls:// (TCP inside TLS) or https://: the collector's certificate is checked (<see cref="CollectorTls"/>).</summary>
    public bool UsesTls => Uri.Scheme is "tls" or "https";
    public int Port => Uri.Port;

    public override string ToString() => Uri.ToString();

    /// <summary>Parses a --log-ship value; the error names what is wrong and shows an example.</summary>
    public static bool TryParse(string? text, out LogShipTarget? target, out string error)
    {
        target = null;
        error = "";
        const string Examples = "e.g. tcp://10.0.0.5:5170, tls://10.0.0.5:5170 or http://10.0.0.5:8080/logs";
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not a URL with a scheme, tcp://, tls:// or http(s):// ({Examples})";
            return false;
        }
        var protocol = uri.Scheme switch
        {
            "tcp" or "tls" => LogShipProtocol.Tcp,
            "http" or "https" => LogShipProtocol.Http,
            _ => (LogShipProtocol?)null,
        };
        if (protocol is null)
        {
            error = $"'{text}': the scheme must be tcp, tls, http or https, not '{uri.Scheme}' ({Examples})";
            return false;
        }
        if (uri.Host.Length == 0)
        {
            error = $"'{text}': a host is required ({Examples})";
            return false;
        }
        // Uri fills in 80/443 for http(s); a collector has no well-known port, so it must be written out.
        if (!HasExplicitPort(text.Trim(), uri))
        {
            error = $"'{text}': a port is required ({Examples})";
            return false;
        }
        if (protocol == LogShipProtocol.Tcp && uri.AbsolutePath is not ("/" or ""))
        {
            error = $"'{text}': a {uri.Scheme}:// collector takes no path ({Examples})";
            return false;
        }
        target = new LogShipTarget(protocol.Value, uri);
        return true;
    }

    private static bool HasExplicitPort(string text, Uri uri)
    {
        if (uri.Port is < 1 or > 65535) return false;
        // Uri.IsDefaultPort is also true for an explicit ":80"; look at the authority as written instead.
        var authority = text[(text.IndexOf("//", StringComparison.Ordinal) + 2)..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        if (end >= 0) authority = authority[..end];
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']')
            && int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }
}
