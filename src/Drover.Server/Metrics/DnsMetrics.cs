using Drover.Core.Metrics;
using Drover.Dns;

namespace Drover.Server.Metrics;

/// <summary>
/// Counts DNS answers by question type and response code. Runs on every query's thread: the children are looked up
/// in a lock-free dictionary with label strings from fixed tables, so a query allocates nothing here.
/// </summary>
public sealed class DnsMetrics : IDnsQueryObserver
{
    private readonly CounterFamily _queries;
    private readonly HistogramFamily _seconds;

    public DnsMetrics(MetricRegistry r)
    {
        _queries = r.CounterFamily("drover_dns_queries_total", "DNS queries answered, by question type and response code.", "qtype", "rcode");
        _seconds = r.HistogramFamily("drover_dns_query_duration_seconds",
            "Time to answer a DNS query (forwarded ones include the recursor's time), by whether it was forwarded.",
            Buckets.Fast, "forwarded");
    }

    public void Answered(int qtype, int rcode, bool forwarded, long startTimestamp)
    {
        _queries.WithLabels(QType(qtype), RCode(rcode)).Inc();
        _seconds.WithLabels(forwarded ? "true" : "false").ObserveSince(startTimestamp);
    }

    // RFC 1035, 3596 (AAAA), 2782 (SRV), 6891 (OPT); any other type is "other", so a scanner cannot grow the label set
    private static string QType(int t) => t switch
    {
        1 => "A", 2 => "NS", 5 => "CNAME", 6 => "SOA", 12 => "PTR", 15 => "MX", 16 => "TXT", 28 => "AAAA", 33 => "SRV",
        41 => "OPT", 65 => "HTTPS", 255 => "ANY", -1 => "invalid", _ => "other",
    };

    private static string RCode(int c) => c switch
    {
        0 => "NOERROR", 1 => "FORMERR", 2 => "SERVFAIL", 3 => "NXDOMAIN", 4 => "NOTIMP", 5 => "REFUSED", _ => "other",
    };
}
