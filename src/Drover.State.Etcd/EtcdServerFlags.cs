namespace Drover.State.Etcd;

/// <summary>
/// What Drover needs of the etcd members it writes to. A batch (a group deploy, a reconcile pass that places
/// hundreds of tasks, an app deleted with its tasks) is one etcd transaction, so that it lands whole or not at all;
/// etcd's defaults refuse a txn of more than 128 operations (<c>--max-txn-ops</c>) or a request over 1.5 MiB
/// (<c>--max-request-bytes</c>). <c>drover up --ha</c> starts its members with these; an operator's cluster needs them too.
/// </summary>
public static class EtcdServerFlags
{
    public const int MaxTxnOps = 100_000;
    public const int MaxRequestBytes = 32 * 1024 * 1024;

    public static IReadOnlyList<string> Required { get; } =
        ["--max-txn-ops", MaxTxnOps.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--max-request-bytes", MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>etcd's answer to a txn over its limits, turned into what to do about it; null for any other failure.</summary>
    public static Client.EtcdException? Explain(Client.EtcdException ex, int operations)
    {
        var tooMany = ex.Message.Contains("too many operations in txn request", StringComparison.Ordinal);
        var tooLarge = ex.Message.Contains("request is too large", StringComparison.Ordinal)
            || ex.Message.Contains("larger than max", StringComparison.Ordinal);
        if (!tooMany && !tooLarge) return null;
        return new Client.EtcdException(
            $"etcd refused a write of {operations} operations ({ex.Message}): Drover writes each batch as one transaction, " +
            $"so start every etcd member with {string.Join(' ', Required)} (etcd's defaults: --max-txn-ops 128, --max-request-bytes 1572864); nothing was written",
            ex.Code, ex);
    }
}
