using System.Globalization;
using System.Net;

namespace Drover.Core.Net;

/// <summary>
/// "host:port" as every option and API of Drover takes it (--listen, --dns-listen, --recursor, --dns, Consul TCP
/// checks, service addresses): one parser, one set of error messages. IPv6 hosts go in brackets ("[::1]:53");
/// a bare IPv6 address is taken as a host without a port.
/// </summary>
/// <param name="Host">The host as written, without brackets; empty for ":port".</param>
public readonly record struct HostPort(string Host, int Port)
{
    private const string Example = "e.g. 127.0.0.1:5051";

    /// <summary>
    /// Splits <paramref name="text"/> into host and port (0–65535); the host is not checked (it may be a name).
    /// Without a port the text is an error, unless <paramref name="defaultPort"/> is given.
    /// </summary>
    public static bool TrySplit(string? text, out HostPort result, out string error, int? defaultPort = null)
    {
        result = default;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = $"must be host:port, {Example}"; return false; }
        text = text.Trim();
        string host;
        ReadOnlySpan<char> portText;
        var colon = text.IndexOf(':');
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':')) { error = $"'{text}' must be host:port, {Example}"; return false; }
            host = text[1..close];
            portText = close + 1 < text.Length ? text.AsSpan(close + 2) : default;
        }
        else if (colon >= 0 && text.IndexOf(':', colon + 1) < 0)
        {
            host = text[..colon];
            portText = text.AsSpan(colon + 1);
        }
        else if (colon >= 0 && !IPAddress.TryParse(text, out _))
        {
            error = $"'{text}' must be host:port, {Example} (an IPv6 host goes in brackets: [::1]:5051)";
            return false;
        }
        else
        {
            host = text; // a name, an IPv4 address or a bare IPv6 address: no port given
            portText = default;
        }

        int port;
        if (portText.IsEmpty && (text.EndsWith(':') || defaultPort is null))
        {
            error = $"'{text}' must be host:port, {Example}";
            return false;
        }
        if (portText.IsEmpty) port = defaultPort!.Value;
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            error = $"'{text}': port must be a number from 0 to 65535";
            return false;
        }
        result = new HostPort(host, port);
        return true;
    }

    /// <summary>
    /// An address to bind or send to: the host must be an IP address, "localhost", or "*", "+" or nothing
    /// (":8600") for every interface.
    /// </summary>
    public static bool TryParseEndPoint(string? text, out IPEndPoint endPoint, out string error, int? defaultPort = null)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (!TrySplit(text, out var hp, out error, defaultPort)) return false;
        IPAddress? address = hp.Host switch
        {
            "localhost" => IPAddress.Loopback,
            "" or "*" or "+" => IPAddress.Any,
            _ => IPAddress.TryParse(hp.Host, out var a) ? a : null,
        };
        if (address is null) { error = $"'{text!.Trim()}': host must be an IP address, localhost or *"; return false; }
        endPoint = new IPEndPoint(address, hp.Port);
        return true;
    }

    /// <summary>As <see cref="TryParseEndPoint"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static IPEndPoint ParseEndPoint(string text, int? defaultPort = null) =>
        TryParseEndPoint(text, out var ep, out var error, defaultPort) ? ep : throw new FormatException(error);

    /// <summary>The host of "host:port" (or of a bare host), brackets removed; the text itself when it does not parse.</summary>
    public static string HostOf(string text) => TrySplit(text, out var hp, out _, defaultPort: 0) ? hp.Host : text;
}
