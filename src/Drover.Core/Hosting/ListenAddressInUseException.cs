using System.Net.Sockets;

namespace Drover.Core.Hosting;

/// <summary>A listener could not bind because another program (or another drover) already uses its address.</summary>
public sealed class ListenAddressInUseException(string address, string listener, Exception? inner = null)
    : IOException($"{address} ({listener}) is already in use by another program", inner)
{
    /// <summary>The server's HTTP API (Marathon /v2, Consul /v1, agent protocol).</summary>
    public const string Http = "http";
    /// <summary>The server's HTTPS listener (--tls-listen): the same API, over TLS, for agents and TLS clients.</summary>
    public const string Https = "https";
    /// <summary>The server's DNS listener (UDP and TCP).</summary>
    public const string Dns = "dns";
    /// <summary>The agent's HTTP endpoint (logs, stats).</summary>
    public const string Agent = "agent";

    /// <summary>host:port, e.g. 127.0.0.1:8600.</summary>
    public string Address { get; } = address;
    /// <summary><see cref="Http"/>, <see cref="Dns"/> or <see cref="Agent"/>.</summary>
    public string Listener { get; } = listener;

    /// <summary>
    /// Whether <paramref name="e"/> is, or wraps, a bind that failed with EADDRINUSE. Kestrel throws
    /// IOException("Failed to bind to address …") → AddressInUseException → SocketException(AddressAlreadyInUse);
    /// a plain socket throws the SocketException itself.
    /// </summary>
    public static bool IsAddressInUse(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }) return true;
            if (x is AggregateException agg && agg.InnerExceptions.Any(IsAddressInUse)) return true;
        }
        return false;
    }
}
