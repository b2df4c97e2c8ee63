namespace Drover.Dns;

/// <summary>
/// Told about every answered query, so a host can count them (the server's Prometheus metrics) without this library
/// knowing about metrics. Called on the query's own thread for every answer: implementations must be cheap and
/// must not block or take locks.
/// </summary>
public interface IDnsQueryObserver
{
    /// <param name="qtype">The question's type (1 = A, 33 = SRV, …), or -1 when the question did not parse.</param>
    /// <param name="rcode">The response code sent (the header's four bits: 0 NOERROR, 3 NXDOMAIN, …).</param>
    /// <param name="forwarded">Relayed to a recursor (the rcode is the recursor's, or SERVFAIL when none answered).</param>
    /// <param name="startTimestamp">From <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the query arrived.</param>
    void Answered(int qtype, int rcode, bool forwarded, long startTimestamp);
}
